import { extractRedacted } from '../logs/redacted-log.ts';
import type { Excerpt, ExtractOptions } from '../logs/types.ts';
import { gate, type GateResult } from '../policy/gate.ts';
import type { RemediationPolicy } from '../api/remediation-policy.ts';
import { analyzeWithRules, type FailureHistory } from './rules-analyzer.ts';
import type { Analysis } from './types.ts';
import { LogInputError } from '../errors.ts';

/**
 * The product's main job on one log, shared by the CLI, the action and the operator:
 * stream-extract the lines that explain the failure, redact them, classify them with the rules analyzer,
 * and gate the proposal under a policy. Nothing unredacted leaves this function: the analysis is computed
 * from the redacted extraction, so every string in the report has been through the redactor.
 */
export interface LogReport {
  analysis: Analysis;
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
}

export async function analyzeLog(source: AsyncIterable<Uint8Array | string>, options: AnalyzeLogOptions): Promise<LogReport> {
  const { extraction, cacheKeys, redactions } = await extractRedacted(source, {
    extract: options.extract,
    prepare: (raw) => {
      if (raw.stats.bytes === 0) throw new LogInputError('the log is empty');
      return raw;
    },
  });
  const input = {
    extraction,
    jobName: options.jobName,
    failedStep: options.failedStep,
    conclusion: options.conclusion,
  };
  let analysis = analyzeWithRules(input);
  const history = options.history ? await options.history(analysis.fingerprint) : null;
  // The fingerprint does not depend on history, so the second pass keeps the key it was looked up by.
  if (history) analysis = analyzeWithRules({ ...input, history });
  const decision = gate({
    analysis,
    // The rules analysis is the deterministic floor; when a model analysis joins, it is gated against this.
    rulesFloor: analysis.riskScore,
    repository: options.repository,
    changedFiles: options.changedFiles,
    policy: options.policy,
  });
  return {
    analysis,
    keyLine: extraction.keyLine,
    excerpts: extraction.excerpts,
    redactions,
    cacheKeys,
    gate: decision,
    stats: { lines: extraction.stats.lines, bytes: extraction.stats.bytes },
  };
}
