import type { FailedJob } from '../api/failure-record.ts';
import { errorMessage, LogInputError } from '../errors.ts';
import { LogWindow, type LogWindowSummary } from '../logs/log-window.ts';
import { extractionOfRecord } from '../logs/record-excerpt.ts';
import { extractRedacted } from '../logs/redacted-log.ts';
import { addCounts, redactExtraction } from '../logs/redactor.ts';
import { redactCacheKeys } from '../logs/cache-key-collector.ts';
import type { Extraction, ExtractOptions } from '../logs/types.ts';
import type { Analyzer, AnalysisContext, JobEvidence, Verdict } from './analyzer.ts';
import { RULES_ANALYZER, combineJobs, riskiestJob } from './rules.ts';
import type { Analysis } from './types.ts';

/**
 * The one analysis pipeline of the CLI, the action and the operator:
 *
 *   evidence  a log streamed through extraction and redaction (`evidenceFromLog`: the CLI and the action), or
 *             the extraction a FailureRecord carries, redacted again (`evidenceFromRecord`: the operator)
 *   rules     the rules analyzer on every job; the riskiest job speaks for the failure
 *   analyzers further analyzers (the model) in order, each given the rules verdict as its floor
 *
 * The result keeps the rules verdict beside the merged one: it is the gate's floor on every (re-)gate.
 * Gating is not here: it needs a policy, and lives above (src/report/log-report.ts, the operator).
 */

export interface JobFacts {
  name: string;
  id?: number;
  failedStep?: string;
  conclusion?: string;
}

export interface LogEvidence {
  evidence: JobEvidence;
  /** Secrets redacted per type, in the extraction and the cache keys. */
  redactions: Record<string, number>;
  /** The log as read: size, which lines a head-and-tail window left out, and (with a window) its digest. */
  log: Pick<LogWindowSummary, 'bytes' | 'lines' | 'omitted'> & { sha256?: string };
}

export interface LogEvidenceOptions {
  extract?: Partial<ExtractOptions>;
  /** Bytes analysed at most: beyond them the head and tail are kept (bounded memory whatever the size). */
  maxBytes?: number;
  /** An empty log is an error (the CLI: a user named the wrong file), not a job without evidence. */
  refuseEmpty?: boolean;
}

/**
 * One job's log, streamed once: cache keys collected from the whole of it, the lines that explain the failure
 * extracted (from its head and tail beyond `maxBytes`, line numbers mapped back to the log's), and redacted.
 */
export async function evidenceFromLog(source: AsyncIterable<Uint8Array | string>, job: JobFacts, options: LogEvidenceOptions = {}): Promise<LogEvidence> {
  // Without a budget (the CLI on a file it was given) the log goes straight to the extractor: no copy, no digest.
  const window = options.maxBytes === undefined ? undefined : new LogWindow({ maxBytes: options.maxBytes });
  const { extraction, cacheKeys, redactions } = await extractRedacted(source, {
    extract: options.extract,
    ...(window !== undefined && { through: (observed: AsyncIterable<Buffer>) => window.keep(observed) }),
    prepare: (raw) => {
      if (options.refuseEmpty && raw.stats.bytes === 0) throw new LogInputError('the log is empty');
      return window === undefined ? raw : mapLines(raw, window.summary);
    },
  });
  const log: LogEvidence['log'] =
    window === undefined
      ? { bytes: extraction.stats.bytes, lines: extraction.stats.lines, omitted: null }
      : { bytes: window.summary.bytes, lines: window.summary.lines, sha256: window.summary.sha256, omitted: window.summary.omitted };
  return { evidence: { ...facts(job), extraction, cacheKeys }, redactions, log };
}

/** A job whose log could not be read: its name, failed step and conclusion are all the evidence. */
export function evidenceWithoutLog(job: JobFacts): JobEvidence {
  const extraction: Extraction = { keyLine: null, excerpts: [], signals: [], stats: { lines: 0, bytes: 0, truncatedLines: 0 } };
  return { ...facts(job), extraction, cacheKeys: [] };
}

/**
 * A FailureRecord's job as the action analysed it: the windows, signals and key line it carries, at the line
 * numbers it carries (src/logs/record-excerpt.ts). Redacted again: the producer did already, and redacting
 * is idempotent, so nothing unredacted reaches status even from a careless producer.
 */
export async function evidenceFromRecord(job: FailedJob): Promise<{ evidence: JobEvidence; redactions: Record<string, number> }> {
  const redacted = await redactExtraction(extractionOfRecord(job));
  const keys = await redactCacheKeys(job.cacheKeys ?? []);
  return {
    evidence: { ...facts(job), extraction: redacted.extraction, cacheKeys: keys.keys },
    redactions: addCounts({ ...redacted.redactions }, keys.redactions),
  };
}

export interface PipelineResult {
  /** What speaks for the failure: the last analyzer's verdict, or the rules' when it is the only one (or failed). */
  verdict: Verdict;
  /** The rules analyzer's own verdict: the deterministic floor. */
  rules: Verdict;
  /** Each job's rules analysis, in the order of the jobs. */
  jobs: Analysis[];
  /** Index of the job whose analysis speaks for the failure. */
  deciding: number;
}

/**
 * Analyses the jobs: rules first, then each further analyzer with the rules verdict as its floor. An analyzer
 * that fails leaves the verdict before it standing (with `fallbackReason`); none can lower risk below the floor.
 */
export async function analyzeJobs(jobs: readonly JobEvidence[], context: AnalysisContext, analyzers: readonly Analyzer[] = []): Promise<PipelineResult> {
  const analyses = await RULES_ANALYZER.analyzeJobs(jobs, context);
  const rules = combineJobs(analyses, jobs.map((job) => job.name));
  let verdict: Verdict = rules;
  for (const analyzer of analyzers) {
    try {
      const answer = await analyzer.analyze(jobs, context, rules);
      verdict = answer.riskScore < rules.riskScore ? { ...answer, riskScore: rules.riskScore } : answer;
    } catch (error) {
      verdict = { ...verdict, fallbackReason: `${analyzer.name}: ${errorMessage(error)}`, fallbackCode: 'error' };
    }
  }
  return { verdict, rules, jobs: analyses, deciding: riskiestJob(analyses) };
}

function facts(job: JobFacts): Omit<JobEvidence, 'extraction' | 'cacheKeys'> {
  return {
    name: job.name,
    ...(job.id !== undefined && { id: job.id }),
    ...(job.failedStep !== undefined && { failedStep: job.failedStep }),
    ...(job.conclusion !== undefined && { conclusion: job.conclusion }),
  };
}

/** Line numbers of the kept text become the original log's; stats describe the whole log. */
function mapLines(extraction: Extraction, log: LogWindowSummary): Extraction {
  const map = log.toOriginalLine;
  return {
    keyLine: extraction.keyLine === null ? null : { ...extraction.keyLine, line: map(extraction.keyLine.line) },
    excerpts: extraction.excerpts.map((excerpt) => ({ ...excerpt, startLine: map(excerpt.startLine), endLine: map(excerpt.endLine) })),
    signals: extraction.signals.map((signal) => ({ ...signal, line: map(signal.line) })),
    stats: { ...extraction.stats, lines: log.lines, bytes: log.bytes },
  };
}
