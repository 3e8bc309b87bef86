import type { Verdict } from '../analysis/analyzer.ts';
import { analyzeJobs, evidenceFromLog } from '../analysis/pipeline.ts';
import type { FailureHistory } from '../analysis/rules-analyzer.ts';
import type { RemediationPolicy } from '../api/remediation-policy.ts';
import type { Excerpt, ExtractOptions } from '../logs/types.ts';
import { gate, type GateResult } from '../policy/gate.ts';

/**
 * The CLI's job on one log: the analysis pipeline (src/analysis/pipeline.ts: extract, redact, analyse), then
 * the gate under a policy, fed the rules verdict as its floor. Analysis and policy meet here, above both:
 * src/analysis never imports src/policy. Everything in the report derives from redacted text.
 */
export interface LogReport {
  /** The verdict that speaks for the failure (today the rules'; a model's once one is configured). */
  analysis: Verdict;
  /** The rules analyzer's own verdict: the gate's deterministic floor. */
  rules: Verdict;
  keyLine: { line: number; text: string } | null;
  excerpts: Excerpt[];
  redactions: Record<string, number>;
  /** Keys of the caches the log says were restored, redacted (src/logs/cache-key-collector.ts). */
  cacheKeys: string[];
  gate: GateResult;
  stats: { lines: number; bytes: number };
}

export interface AnalyzeLogOptions {
  extract?: Partial<ExtractOptions>;
  policy: RemediationPolicy;
  repository?: string;
  changedFiles?: string[];
  jobName?: string;
  failedStep?: string;
  conclusion?: string;
  /**
   * Flaky knowledge: what is on record for a fingerprint (the store's failure history). Looked up once the
   * fingerprint is known; a fingerprint that re-runs fixed before is re-classified with that evidence.
   */
  history?: (fingerprint: string) => Promise<FailureHistory | null>;
  now?: Date;
}

export async function analyzeLog(source: AsyncIterable<Uint8Array | string>, options: AnalyzeLogOptions): Promise<LogReport> {
  const job = {
    // A log given without its job's name: the analyzer leaves a blank name out of what it writes.
    name: options.jobName ?? '',
    ...(options.failedStep !== undefined && { failedStep: options.failedStep }),
    ...(options.conclusion !== undefined && { conclusion: options.conclusion }),
  };
  const { evidence, redactions } = await evidenceFromLog(source, job, { extract: options.extract, refuseEmpty: true });
  const result = await analyzeJobs([evidence], {
    ...(options.repository !== undefined && { repository: options.repository }),
    ...(options.changedFiles !== undefined && { changedFiles: options.changedFiles }),
    policy: options.policy,
    ...(options.history !== undefined && { history: options.history }),
    now: options.now ?? new Date(),
  });
  const decision = gate({
    analysis: result.verdict,
    rulesFloor: result.rules.riskScore,
    repository: options.repository,
    changedFiles: options.changedFiles,
    policy: options.policy,
  });
  const { extraction, cacheKeys } = evidence;
  return {
    analysis: result.verdict,
    rules: result.rules,
    keyLine: extraction.keyLine,
    excerpts: extraction.excerpts,
    redactions,
    cacheKeys: [...cacheKeys],
    gate: decision,
    stats: { lines: extraction.stats.lines, bytes: extraction.stats.bytes },
  };
}
