import { analyzeWithRules, type FailureHistory } from '../../src/analysis/rules-analyzer.ts';
import type { Analysis } from '../../src/analysis/types.ts';
import type { AnalysisStatus, FailedJob, FailureRecordSpec, ProposedRemediationStatus } from '../../src/api/failure-record.ts';
import { redactCacheKeys } from '../../src/logs/cache-key-collector.ts';
import { extractFromText } from '../../src/logs/log-extractor.ts';
import { addCounts, redactExtraction } from '../../src/logs/redactor.ts';
import type { Extraction } from '../../src/logs/types.ts';
import { cacheKeyPrefixOf } from '../../src/remediation/cache-key-prefix.ts';
import { CACHE_KEY_PREFIX_PARAM, CATALOG } from '../../src/remediation/catalog.ts';

/**
 * The analysis of a FailureRecord from what its spec carries: each failed job's excerpt goes through the
 * same extraction, redaction and rules analyzer as a log does in the CLI and the action (the producer
 * redacted already; redacting again is idempotent and means nothing unredacted reaches status even from a
 * careless producer). The key line the producer chose (with its line number in the full log) wins over
 * the one re-extraction finds in the excerpt, because it was chosen with the whole log in view.
 *
 * With several failed jobs the riskiest analysis speaks for the record: the gate must see the worst case.
 *
 * clear-caches gets its key prefix here: from the cache keys of the jobs whose own analysis proposes it
 * (a matrix of jobs failing the same way needs all their caches cleared; a job that failed for another
 * reason says nothing about which cache is broken). See src/remediation/cache-key-prefix.ts for how the
 * prefix is derived and why deleting by it is safe although the keys are log text.
 */

// Excerpts are already small (<= 16 KiB); keep all of them instead of the extractor's default 8 KiB budget.
const EXTRACT = { maxLines: 400, maxBytes: 16_384, maxLineLength: 2000 };
const MAX_COMPONENTS = 50;

export async function analyzeRecord(spec: FailureRecordSpec, now: Date, history?: FailureHistory | null): Promise<AnalysisStatus> {
  let chosen: { analysis: Analysis; job: FailedJob } | undefined;
  const redactions: Record<string, number> = {};
  const components = new Set<string>();
  const cacheKeys: string[] = [];
  for (const job of spec.failedJobs) {
    const extraction = shift(extractFromText(job.excerpt, EXTRACT), (job.excerptStartLine ?? 1) - 1);
    if (job.keyLine !== undefined) extraction.keyLine = { line: job.keyLine.line, text: job.keyLine.text };
    const redacted = await redactExtraction(extraction);
    addCounts(redactions, redacted.redactions);
    const analysis = analyzeWithRules({
      extraction: redacted.extraction,
      jobName: job.name,
      ...(job.failedStep !== undefined && { failedStep: job.failedStep }),
      conclusion: job.conclusion,
      // What is on record for this fingerprint (re-runs that fixed it before make it a flaky test).
      ...(history !== undefined && history !== null && { history }),
    });
    for (const component of analysis.components) components.add(component);
    if (CATALOG[analysis.proposedRemediation.action].clearsCaches) cacheKeys.push(...(job.cacheKeys ?? []));
    if (chosen === undefined || analysis.riskScore > chosen.analysis.riskScore) chosen = { analysis, job };
  }
  // The schema requires at least one failed job, so `chosen` is set; the guard keeps the types honest.
  if (chosen === undefined) throw new Error('the record has no failed jobs');
  const { analysis, job } = chosen;
  const prefix = spec.failedJobs.length > 1 ? `${job.name}: ` : '';
  return {
    analyzer: 'rules',
    ...(analysis.rule !== undefined && { rule: analysis.rule }),
    category: analysis.category,
    riskScore: analysis.riskScore,
    confidence: analysis.confidence,
    effort: analysis.effort,
    components: [...components].slice(0, MAX_COMPONENTS).map((component) => component.slice(0, 1024)),
    summary: clip(prefix + analysis.summary, 1024),
    reasoning: clip(analysis.reasoning, 8192),
    proposedRemediation: await proposal(analysis, cacheKeys),
    ...(Object.keys(redactions).length > 0 && { redactions }),
    injectionSuspected: false,
    analyzedAt: now.toISOString(),
  };
}

/** The analysis' proposal, with the key prefix clear-caches deletes by when the cache keys give one. */
async function proposal(analysis: Analysis, cacheKeys: readonly string[]): Promise<ProposedRemediationStatus> {
  const { action, rationale } = analysis.proposedRemediation;
  if (!CATALOG[action].clearsCaches || cacheKeys.length === 0) return { action, rationale: clip(rationale, 2048) };
  // The producer redacted the keys; again here, so a careless producer's secret cannot become the prefix in
  // status. A key the redactor changed or dropped is not the one GitHub stores: then no prefix at all, since
  // one made from the other keys could miss the broken cache.
  const unique = [...new Set(cacheKeys)];
  const redacted = (await redactCacheKeys(unique)).keys;
  const prefix = redacted.length === unique.length ? cacheKeyPrefixOf(redacted) : undefined;
  if (prefix === undefined) return { action, rationale: clip(rationale, 2048) };
  const from = `Clears the caches whose key starts with '${prefix}', the key prefix of the caches the failed job restored.`;
  return { action, params: { [CACHE_KEY_PREFIX_PARAM]: prefix }, rationale: clip(`${rationale} ${from}`, 2048) };
}

/** Line numbers of the original log: the excerpt starts at `offset + 1`. */
function shift(extraction: Extraction, offset: number): Extraction {
  if (offset === 0) return extraction;
  return {
    ...extraction,
    keyLine: extraction.keyLine === null ? null : { ...extraction.keyLine, line: extraction.keyLine.line + offset },
    excerpts: extraction.excerpts.map((excerpt) => ({ ...excerpt, startLine: excerpt.startLine + offset, endLine: excerpt.endLine + offset })),
    signals: extraction.signals.map((signal) => ({ ...signal, line: signal.line + offset })),
  };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
