import type { Analyzer, AnalysisContext, JobEvidence, Verdict } from './analyzer.ts';
import { analyzeWithRules, historyMayReclassify, historyReclassifies, type FailureHistory } from './rules-analyzer.ts';
import type { Analysis } from './types.ts';

/**
 * The rules analyzer behind the Analyzer seam: each failed job classified by the signature catalog
 * (rules-analyzer.ts), re-classified with the failure history when that could change its category, and the
 * riskiest job speaking for the failure. Deterministic: its verdict is the floor every other analyzer's is
 * held to.
 */

/** Components a verdict lists at most (the status schema's bound). */
export const MAX_VERDICT_COMPONENTS = 50;

/**
 * The job whose analysis speaks for a failure with several failed jobs: the riskiest, the first among
 * equals. The gate must see the worst case; the record's fingerprint and summary are that job's.
 */
export function riskiestJob(analyses: ReadonlyArray<Pick<Analysis, 'riskScore'>>): number {
  if (analyses.length === 0) throw new Error('no failed job to analyse');
  let best = 0;
  analyses.forEach((analysis, i) => {
    if (analysis.riskScore > analyses[best]!.riskScore) best = i;
  });
  return best;
}

/**
 * One verdict from the jobs' analyses: the riskiest job's, its summary prefixed with its name when several
 * jobs failed, and the components of all jobs (a matrix failing the same way names each job's files).
 */
export function combineJobs(analyses: readonly Analysis[], names: readonly string[]): Verdict {
  const deciding = riskiestJob(analyses);
  const analysis = analyses[deciding]!;
  const components = [...new Set(analyses.flatMap((a) => a.components))].slice(0, MAX_VERDICT_COMPONENTS);
  const prefix = analyses.length > 1 ? `${names[deciding]}: ` : '';
  return { ...analysis, summary: prefix + analysis.summary, components };
}

/** What is kept of the rules verdict beside the merged one (status.analysis.rules, `analyze --json`'s `rules`). */
export interface RulesFloor {
  category: Analysis['category'];
  riskScore: number;
  confidence: number;
  rule?: string;
}

export function rulesFloorOf(verdict: Analysis): RulesFloor {
  return {
    category: verdict.category,
    riskScore: verdict.riskScore,
    confidence: verdict.confidence,
    ...(verdict.rule !== undefined && { rule: verdict.rule }),
  };
}

export class RulesAnalyzer implements Analyzer {
  readonly name = 'rules' as const;

  async analyze(jobs: readonly JobEvidence[], context: AnalysisContext): Promise<Verdict> {
    return combineJobs(await this.analyzeJobs(jobs, context), jobs.map((job) => job.name));
  }

  /** Each job's own analysis, in order (the action reports them one by one; the operator reads their proposals). */
  async analyzeJobs(jobs: readonly JobEvidence[], context: AnalysisContext): Promise<Analysis[]> {
    const analyses: Analysis[] = [];
    for (const job of jobs) {
      let analysis = this.analyzeJob(job);
      // History is looked up by fingerprint, which history cannot change: the second pass keeps the key.
      if (context.history !== undefined && historyMayReclassify(analysis.category)) {
        const history = await context.history(analysis.fingerprint);
        if (history !== null && historyReclassifies(analysis.category, history)) analysis = this.analyzeJob(job, history);
      }
      analyses.push(analysis);
    }
    return analyses;
  }

  /** One job, with what is on record for its fingerprint when known. Pure. */
  analyzeJob(job: JobEvidence, history?: FailureHistory): Analysis {
    return analyzeWithRules({
      extraction: job.extraction,
      jobName: job.name,
      ...(job.failedStep !== undefined && { failedStep: job.failedStep }),
      ...(job.conclusion !== undefined && { conclusion: job.conclusion }),
      ...(history !== undefined && { history }),
    });
  }
}

export const RULES_ANALYZER = new RulesAnalyzer();
