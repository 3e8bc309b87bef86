import { extractFromStream } from '../logs/log-extractor.ts';
import { redactExtraction } from '../logs/redactor.ts';
import { DEFAULT_EXTRACT_OPTIONS, type Excerpt, type ExtractOptions } from '../logs/types.ts';
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
  history?: FailureHistory;
}

export async function analyzeLog(source: AsyncIterable<Uint8Array | string>, options: AnalyzeLogOptions): Promise<LogReport> {
  const extraction = await extractFromStream(source, { ...DEFAULT_EXTRACT_OPTIONS, ...options.extract });
  if (extraction.stats.bytes === 0) throw new LogInputError('the log is empty');
  const redacted = await redactExtraction(extraction);
  const analysis = analyzeWithRules({
    extraction: redacted.extraction,
    jobName: options.jobName,
    failedStep: options.failedStep,
    conclusion: options.conclusion,
    history: options.history,
  });
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
    keyLine: redacted.extraction.keyLine,
    excerpts: redacted.extraction.excerpts,
    redactions: redacted.redactions,
    gate: decision,
    stats: { lines: extraction.stats.lines, bytes: extraction.stats.bytes },
  };
}
