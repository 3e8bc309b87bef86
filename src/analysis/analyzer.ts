import type { FailureRecordSpec } from '../api/failure-record.ts';
import type { RemediationPolicy } from '../api/remediation-policy.ts';
import type { Extraction } from '../logs/types.ts';
import type { FailureHistory } from './rules-analyzer.ts';
import type { InjectionSpan } from './injection-detector.ts';
import type { Analysis } from './types.ts';

/**
 * The seam every analyzer plugs into (the rules analyzer, the model-assisted agent). The CLI, the action and
 * the operator compose analyzers through one pipeline; none of them calls an analyzer's internals.
 *
 * An analyzer sees only redacted text: `jobs[].extraction` has been through the redactor, with the line
 * numbers of the original log.
 */

/** One failed job as analyzers see it. */
export interface JobEvidence {
  name: string;
  /** GitHub's job id, when known (lets a tool fetch more of the log). */
  id?: number;
  failedStep?: string;
  /** GitHub job conclusion: failure | cancelled | timed_out | ... */
  conclusion?: string;
  /** Redacted; line numbers are the original log's. */
  extraction: Extraction;
  /** Redacted keys of the caches the job restored. */
  cacheKeys: readonly string[];
}

export interface AnalysisContext {
  repository?: string;
  changedFiles?: readonly string[];
  /** The policy the record falls under (its `analysis` block chooses the provider, model and budget). */
  policy?: RemediationPolicy;
  /** The record being analyzed, when there is one (the operator's path): tools read more from it. */
  record?: { namespace: string; name: string; uid?: string; spec: FailureRecordSpec };
  /** What the store knows of a fingerprint (re-runs that fixed it before). */
  history?: (fingerprint: string) => Promise<FailureHistory | null>;
  /** Aborted at the record's analysis deadline: an analyzer must stop and let the floor stand. */
  signal?: AbortSignal;
  now: Date;
}

/** What an analyzer concludes for a whole failure (all its failed jobs). */
export interface Verdict extends Analysis {
  /** The model that answered, for a model-assisted verdict. */
  model?: string;
  tokens?: { input: number; output: number };
  /** Log text looked like instructions to a model; the gate then always asks a person. */
  injectionSuspected?: boolean;
  /** Why a model verdict was not used (budget, error, deadline), when the rules verdict stands in its place. */
  fallbackReason?: string;
  /** The same as a short code (e.g. `server-error`, `over-daily-budget`), for conditions and metrics. */
  fallbackCode?: string;
  /** What looked like instructions, where (the approval card shows them). */
  injectionSpans?: InjectionSpan[];
  /** Reasons a person must approve whatever the risk (category disagreement, suspected injection). */
  approvalReasons?: string[];
  /** What the merge rules changed in the model's answer, as sentences (src/analysis/verdict-merge.ts). */
  mergeNotes?: string[];
  /** The tool calls the model made (name only), for the audit trail and the benchmark. */
  toolCalls?: string[];
}

export interface Analyzer {
  readonly name: 'rules' | 'openai';
  /**
   * `floor` is the rules analyzer's verdict on the same evidence (absent for the rules analyzer itself): a
   * model-assisted analyzer starts from it and may never return less risk than it.
   */
  analyze(jobs: readonly JobEvidence[], context: AnalysisContext, floor?: Verdict): Promise<Verdict>;
}
