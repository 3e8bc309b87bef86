import type { Analysis } from '../analysis/types.ts';

/** Who acted: the operator itself, a Slack user, GitHub (a webhook, the action), or a person at the CLI. */
export const ACTOR_TYPES = ['system', 'slack', 'github', 'user'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export interface AuditEntryInput {
  /**
   * Names the event (e.g. `<record uid>/<transition>`): writing the same key twice stores one row, so a
   * write retried after a failure cannot duplicate it.
   */
  idempotencyKey: string;
  /** When it happened; the database's clock when omitted. */
  time?: Date;
  actor: string;
  actorType: ActorType;
  action: string;
  outcome: string;
  record?: { namespace?: string; name?: string; uid?: string };
  repository?: string;
  category?: string;
  details?: Record<string, unknown>;
}

export interface AuditEntry {
  /** bigserial, as a string: it can outgrow a JavaScript number. */
  id: string;
  time: Date;
  actor: string;
  actorType: ActorType;
  action: string;
  outcome: string;
  record: { namespace: string | null; name: string | null; uid: string | null } | null;
  repository: string | null;
  category: string | null;
  details: Record<string, unknown>;
  idempotencyKey: string;
}

export interface AuditFilters {
  repository?: string;
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  category?: string;
  action?: string;
  actor?: string;
  outcome?: string;
}

export interface PageOptions {
  /** 1-1000; default 50. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque; null on the last page. */
  nextCursor: string | null;
}

/** How a remediation ended, or why none ran. */
export const RESULTS = ['succeeded', 'failed', 'rolled_back', 'rejected', 'expired', 'blocked'] as const;
export type Result = (typeof RESULTS)[number];

/**
 * One failure's milestones. Written several times as the record moves on: fields left undefined keep
 * what is stored, so each step writes only what it learned.
 */
export interface TimingsInput {
  /** `namespace/name` of the FailureRecord (or the CLI's key for a recorded analysis). */
  recordKey: string;
  repository?: string;
  category?: string;
  analyzer?: string;
  model?: string;
  riskScore?: number;
  gateDecision?: 'auto' | 'approval' | 'blocked';
  /** When the job failed (GitHub's completion time); time to detect is measured from here. */
  failedAt?: Date;
  detectedAt: Date;
  analyzedAt?: Date;
  gatedAt?: Date;
  approvalRequestedAt?: Date;
  decidedAt?: Date;
  executedAt?: Date;
  verifiedAt?: Date;
  result?: Result;
  tokensInput?: number;
  tokensOutput?: number;
  costUsd?: number;
}

export interface MetricsFilters {
  /** Inclusive, on detection time. */
  since?: Date;
  /** Exclusive, on detection time. */
  until?: Date;
  repository?: string;
}

/** Milliseconds; null when no failure in the window reached both milestones. */
export interface DurationStats {
  count: number;
  meanMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface Metrics {
  failures: number;
  /** Remediations that ran to an end: succeeded, failed or rolled back. */
  remediations: number;
  succeeded: number;
  /** succeeded / remediations; null with no remediation. */
  successRate: number | null;
  /** failedAt -> detectedAt */
  timeToDetect: DurationStats;
  /** detectedAt -> analyzedAt */
  timeToAnalyze: DurationStats;
  /** approvalRequestedAt -> decidedAt */
  timeToApprove: DurationStats;
  /** go-ahead (decidedAt, else gatedAt) -> verifiedAt (else executedAt) */
  timeToRemediate: DurationStats;
  byCategory: Array<{ category: string | null; count: number }>;
  /** The 50 repositories with most failures, most first. */
  byRepository: Array<{ repository: string | null; count: number }>;
  /** Ten buckets of ten: [0,10), [10,20) ... [90,100]. */
  riskHistogram: Array<{ from: number; to: number; count: number }>;
  tokens: { input: number; output: number };
  costUsd: number;
  /** Calls of the model in the window (table model_usage), by model, most tokens first. */
  models?: Array<{ model: string; calls: number; tokensInput: number; tokensOutput: number; costUsd: number }>;
}

/** The shape the rules analyzer takes as `history`. */
export interface FailureHistory {
  occurrences: number;
  rerunAttempts: number;
  rerunFixed: number;
}

export interface RetentionResult {
  cutoff: Date;
  exportPath: string | null;
  exported: number;
  deleted: { audit: number; failureHistory: number; timings: number; modelUsage: number };
}

export interface RecordAnalysisInput {
  /** The log file analyzed ('-' for standard input). */
  file: string;
  repository?: string;
  analysis: Analysis;
  detectedAt: Date;
  analyzedAt: Date;
  failedAt?: Date;
  /** Who ran the analysis; defaults to `cli`. */
  actor?: string;
  actorType?: ActorType;
  model?: string;
  tokensInput?: number;
  tokensOutput?: number;
  costUsd?: number;
  /** Defaults to a key derived from repository, file, fingerprint and detection time. */
  idempotencyKey?: string;
}

export interface RecordAnalysisResult {
  /** False when this analysis had already been recorded (same idempotency key): nothing was counted twice. */
  recorded: boolean;
  idempotencyKey: string;
  history: FailureHistory;
}

/** A repository's poll state (operator/sources/poller.ts). */
export interface PollState {
  repository: string;
  /** ETag of the last run listing; the next poll sends it as If-None-Match. */
  etag: string | null;
  /** Newest `updated_at` of the completed runs already handled. */
  watermark: Date;
  /** `runId/attempt` of the runs handled whose `updated_at` is the watermark itself. */
  seenAtWatermark: string[];
}
