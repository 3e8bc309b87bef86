import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Category, Effort, RemediationAction } from '../analysis/taxonomy.ts';
import { MAX_CACHE_KEY_LENGTH, MAX_CACHE_KEYS } from '../logs/cache-key-collector.ts';
import { Condition, GROUP_VERSION, ObjectMeta, ObjectName, RepositoryName, repositoryKey, SlackChannel } from './common.ts';

/**
 * FailureRecord (ci-remediator.dev/v1alpha1, namespaced, short name `fr`): one failed workflow run attempt,
 * as observed (spec) and as handled (status). This schema is the one source of truth: the CRD's OpenAPI
 * schema is generated from it (src/api/crd.ts), the action validates what it creates with it, the operator
 * validates what it watches with it. docs/spec/failurerecord.md describes every field; keep the two in step.
 *
 * Every string and list under `spec` is bounded, not only for tidiness: the API server estimates the cost of
 * the `self == oldSelf` rule from maxLength/maxItems and refuses the CRD when anything under it is unbounded.
 * The sizes also keep a worst-case record under etcd's 1.5 MiB object limit (50 excerpts of 16 KiB plus
 * 300 paths of 1 KiB is about 1.1 MB, 50 jobs' 8 cache keys of 512 characters another 0.2 MB; real records
 * are a few KiB). Signal lines carry text only when they lie outside the excerpt windows (at most 12 of 500
 * characters a job); the action's extractor keeps excerpts to 8 KiB, so its records stay near 0.8 MB at worst.
 */

export const FAILURE_RECORD_KIND = 'FailureRecord';
/** The resource name in API paths (`/apis/ci-remediator.dev/v1alpha1/namespaces/x/failurerecords`). */
export const FAILURE_RECORD_PLURAL = 'failurerecords';

/**
 * The operator's finalizer: it writes the record's last audit row (Deleted) before the object goes. The
 * action and the ingest endpoint create records with it already set, which saves the operator a write per
 * record when failures arrive in bursts; records created by hand get it from the operator.
 */
export const FAILURE_RECORD_FINALIZER = 'ci-remediator.dev/audit';

/** Excerpts are redacted and already bounded by extraction (8 KiB by default); this is the hard ceiling. */
export const MAX_EXCERPT_LENGTH = 16_384;
export const MAX_FAILED_JOBS = 50;
export const MAX_CHANGED_FILES = 300;
/** Execution output (a GitHub API response summary, an error message): enough to explain, never a log. */
export const MAX_OUTPUT_LENGTH = 16_384;

/**
 * RFC 3339 with a zone, as Kubernetes writes timestamps and `new Date().toISOString()` produces them. zod
 * checks the calendar with a long regex; the CRD gets the same shape as a short pattern instead, because the
 * API server quotes the pattern in its error message and checks the calendar itself (`format: date-time`).
 */
const Timestamp = z.iso
  .datetime({ offset: true })
  .max(64)
  .meta({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$' });
/** GitHub's numeric ids (runs, jobs) exceed 2^31; JavaScript numbers are exact up to 2^53. */
const Int64Id = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).meta({ format: 'int64' });
const Count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).meta({ format: 'int64' });
/** Links users click from Slack and `kubectl describe`; only web URLs, so no `javascript:` or `file:`. */
const WebUrl = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/[^\s/?#]+[^\s]*$/, { error: "must be an http(s) URL such as 'https://github.com/acme/web/actions/runs/1'" });
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be a lower-case hex SHA-256 (64 characters)' }).length(64);
/** Git allows long ref names; GitHub refuses branch names over 255 bytes. */
const BranchName = z.string().min(1).max(255);
const RiskScore = z.number().int().min(0).max(100);

export const FAILURE_SOURCES = ['action', 'webhook', 'poller'] as const;
export const FailureSource = z.enum(FAILURE_SOURCES);
export type FailureSource = z.infer<typeof FailureSource>;

/** GitHub job conclusions that count as a failure (success, neutral and skipped do not). */
export const FAILED_JOB_CONCLUSIONS = ['failure', 'cancelled', 'timed_out', 'action_required', 'startup_failure'] as const;
export const FailedJobConclusion = z.enum(FAILED_JOB_CONCLUSIONS);
export type FailedJobConclusion = z.infer<typeof FailedJobConclusion>;

export const FailureWorkflow = z.strictObject({
  /** The workflow's `name:` (or its file name when it has none). */
  name: z.string().min(1).max(256),
  /** Repository-relative path of the workflow file, e.g. `.github/workflows/ci.yml`. */
  path: z
    .string()
    .min(1)
    .max(512)
    .regex(/^[^/\s][^\s]*$/, { error: "must be a repository-relative path such as '.github/workflows/ci.yml'" }),
  runId: Int64Id,
  /** 1 for the first run; a re-run is a new attempt, and so a new record. */
  runAttempt: z.number().int().min(1).max(1000),
  url: WebUrl,
  /** The triggering event (`push`, `pull_request`, `schedule`, …). */
  event: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z][a-z_]*$/, { error: "must be a GitHub event name such as 'push' or 'pull_request'" }),
});
export type FailureWorkflow = z.infer<typeof FailureWorkflow>;

export const FailureCommit = z.strictObject({
  sha: z
    .string()
    .length(40)
    .regex(/^[0-9a-f]{40}$/, { error: 'must be a full lower-case commit SHA (40 hex characters)' }),
  /** Absent for runs without a branch (tags, some manual dispatches). */
  branch: BranchName.optional(),
  /** GitHub login of the pusher or PR author; the four-eyes rule compares approvers against it. */
  author: z.string().min(1).max(256).optional(),
});
export type FailureCommit = z.infer<typeof FailureCommit>;

export const FailurePullRequest = z.strictObject({
  number: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  url: WebUrl,
  baseBranch: BranchName.optional(),
});
export type FailurePullRequest = z.infer<typeof FailurePullRequest>;

export const KeyLine = z.strictObject({
  /** 1-based line number in the original log. */
  line: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** Normalized and redacted; extraction already cuts lines at 2000 characters. */
  text: z.string().max(4096),
});
export type KeyLine = z.infer<typeof KeyLine>;

/** Bounds of the structured excerpt: the extractor keeps at most 7 windows and 12 signals of 500 characters. */
export const MAX_EXCERPT_WINDOWS = 16;
export const MAX_SIGNALS = 12;
export const MAX_SIGNAL_TEXT = 500;

export const ExcerptWindow = z.strictObject({
  /** 1-based line of the original log where the window starts. */
  startLine: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** Lines of `excerpt` the window holds. */
  lines: z.number().int().min(1).max(MAX_EXCERPT_LENGTH),
});
export type ExcerptWindow = z.infer<typeof ExcerptWindow>;

export const SignalLine = z.strictObject({
  line: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** Normalized and redacted; absent when the line is in an excerpt window (its text is there). */
  text: z.string().min(1).max(MAX_SIGNAL_TEXT).optional(),
  /** `step`: the failed step's own `Run …` line, weak evidence of what ran (not a failure signal). */
  kind: z.enum(['step']).optional(),
});
export type SignalLine = z.infer<typeof SignalLine>;

export const FailedJob = z.strictObject({
  id: Int64Id,
  name: z.string().min(1).max(256),
  url: WebUrl,
  /** The first step that failed; absent when the job failed before any step ran. */
  failedStep: z.string().min(1).max(256).optional(),
  conclusion: FailedJobConclusion,
  /** The redacted failure excerpt. Empty when the log was unavailable (expired, too large, no permission). */
  excerpt: z.string().max(MAX_EXCERPT_LENGTH),
  /** Line of the original log where the excerpt starts; absent with an empty excerpt. */
  excerptStartLine: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  keyLine: KeyLine.optional(),
  /**
   * How `excerpt` is laid out: one entry per window of the log, in order, each with the log line it starts at
   * and how many lines of `excerpt` it holds (a `⋯` line separates windows that are not adjacent). With it the
   * operator analyses exactly the lines, at exactly the line numbers, the action analysed. Absent in records
   * written before it existed: the excerpt is then read as one window starting at `excerptStartLine`.
   */
  excerptWindows: z.array(ExcerptWindow).max(MAX_EXCERPT_WINDOWS).optional(),
  /**
   * The extractor's strongest lines in the whole log, best first: the evidence the rules analyzer weighs above
   * the excerpt's context. `text` is absent when it is the text of that line in an excerpt window.
   */
  signals: z.array(SignalLine).max(MAX_SIGNALS).optional(),
  /** Size of the full log that was analysed, in bytes; 0 when none could be downloaded. */
  logBytes: Count,
  /** SHA-256 of the full downloaded log, so an excerpt can be traced to the exact log it came from. */
  logSha256: Sha256.optional(),
  /**
   * Keys of the Actions caches the whole log says the job restored (`Cache restored from key: …`, `Cache hit
   * for: …`), distinct, in order of appearance, redacted. Log text, so untrusted: clear-caches derives the
   * prefix of the caches it deletes from them (src/remediation/cache-key-prefix.ts says why that is safe).
   * Absent when the log named none or could not be read.
   */
  cacheKeys: z.array(z.string().min(1).max(MAX_CACHE_KEY_LENGTH)).max(MAX_CACHE_KEYS).optional(),
});
export type FailedJob = z.infer<typeof FailedJob>;

export const FailureRecordSpec = z
  .strictObject({
    source: FailureSource,
    repository: RepositoryName,
    workflow: FailureWorkflow,
    commit: FailureCommit,
    pullRequest: FailurePullRequest.optional(),
    failedJobs: z.array(FailedJob).min(1).max(MAX_FAILED_JOBS),
    /** Files changed by the push or pull request, repository-relative. Absent means unknown, not "none". */
    changedFiles: z.array(z.string().min(1).max(1024)).max(MAX_CHANGED_FILES).optional(),
    detectedAt: Timestamp,
    /** Stable across runs of the same failure (see src/analysis/fingerprint.ts); groups repeats. */
    fingerprint: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, { error: "must be a fingerprint such as 'rules:v1:0123456789abcdef0123'" }),
  })
  // What was observed does not change; the operator only writes status. Only the API server can compare
  // with the stored object, so there is no zod counterpart.
  .meta({
    'x-kubernetes-validations': [
      { rule: 'self == oldSelf', message: 'spec is immutable: it records what was observed; report a new failure instead' },
    ],
  });
export type FailureRecordSpec = z.infer<typeof FailureRecordSpec>;

/** The lifecycle (DESIGN.md). Terminal: Rejected, Expired, Blocked, Succeeded, Failed, RolledBack. */
export const FAILURE_PHASES = [
  'Pending',
  'Analyzing',
  'Analyzed',
  'AwaitingApproval',
  'AutoApproved',
  'Approved',
  'Rejected',
  'Expired',
  'Blocked',
  'Executing',
  'Verifying',
  'Succeeded',
  'Failed',
  'RolledBack',
] as const;
export const FailurePhase = z.enum(FAILURE_PHASES);
export type FailurePhase = z.infer<typeof FailurePhase>;

export const TERMINAL_PHASES: ReadonlySet<FailurePhase> = new Set(['Rejected', 'Expired', 'Blocked', 'Succeeded', 'Failed', 'RolledBack']);

/** The condition types the operator owns on a FailureRecord; Ready is derived from the others. */
export const FAILURE_RECORD_CONDITION_TYPES = ['Analyzed', 'Gated', 'Approved', 'Executed', 'Verified', 'Ready'] as const;
export type FailureRecordConditionType = (typeof FAILURE_RECORD_CONDITION_TYPES)[number];

export const ProposedRemediationStatus = z.strictObject({
  action: RemediationAction,
  /** Action parameters, e.g. which cache keys to clear. Strings only: nothing here is code. */
  params: z.record(z.string().min(1).max(63), z.string().max(1024)).meta({ maxProperties: 16 }).optional(),
  rationale: z.string().max(2048),
});
export type ProposedRemediationStatus = z.infer<typeof ProposedRemediationStatus>;

export const AnalysisStatus = z.strictObject({
  analyzer: z.enum(['rules', 'openai']),
  /** The rules analyzer's own verdict, kept beside the merged one: the gate's deterministic floor on every re-gate. */
  rules: z
    .strictObject({
      category: Category,
      riskScore: RiskScore,
      confidence: z.number().min(0).max(1),
      /** Id of the signature rule that matched, when one did. */
      rule: z.string().min(1).max(128).optional(),
    })
    .optional(),
  /** The model that answered, for `openai`. */
  model: z.string().min(1).max(128).optional(),
  /** Id of the signature rule that decided the category, when one did. */
  rule: z.string().min(1).max(128).optional(),
  category: Category,
  riskScore: RiskScore,
  confidence: z.number().min(0).max(1),
  effort: Effort,
  components: z.array(z.string().min(1).max(1024)).max(50).default([]),
  summary: z.string().max(1024),
  reasoning: z.string().max(8192),
  proposedRemediation: ProposedRemediationStatus,
  /** Secrets redacted per type, e.g. `{github-token: 2}`; counts only, never the values. */
  redactions: z.record(z.string().min(1).max(64), Count).meta({ maxProperties: 64 }).optional(),
  /** The excerpt looked like instructions to the model; the gate then always asks a person. */
  injectionSuspected: z.boolean().default(false),
  tokens: z.strictObject({ input: Count, output: Count }).optional(),
  /**
   * Reasons a person must approve whatever the risk, from the merge of a model's verdict with the rules'
   * (a category disagreement, suspected injection). Kept so a re-gate under a changed policy still forces
   * approval (src/policy/stored-gate.ts).
   */
  approvalReasons: z.array(z.string().min(1).max(1024)).max(8).optional(),
  /** What looked like instructions to a model, where: redacted, at most 20, each excerpt at most 120 characters. */
  injectionSpans: z
    .array(
      z.strictObject({
        source: z.string().min(1).max(256),
        kind: z.string().min(1).max(32),
        line: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).meta({ format: 'int64' }),
        excerpt: z.string().max(256),
      }),
    )
    .max(20)
    .optional(),
  /** What the merge rules changed in the model's answer, as sentences. */
  mergeNotes: z.array(z.string().min(1).max(1024)).max(8).optional(),
  /** The read-only tools the model called, in order (names only). */
  toolCalls: z.array(z.string().min(1).max(64)).max(32).optional(),
  /** Why the model's verdict was not used and the rules' stands (the record's ModelAnalysis condition says it too). */
  fallback: z.strictObject({ reason: z.string().min(1).max(64).regex(/^[A-Z][A-Za-z0-9]*$/), message: z.string().max(1024) }).optional(),
  analyzedAt: Timestamp.optional(),
});
export type AnalysisStatus = z.infer<typeof AnalysisStatus>;

export const GateStatus = z.strictObject({
  decision: z.enum(['auto', 'approval', 'blocked']),
  /** Every rule that applied, most severe first, as sentences. */
  reasons: z.array(z.string().min(1).max(1024)).max(32),
  policyName: ObjectName,
  /** metadata.generation of the policy that decided; a newer generation re-gates pending records. */
  policyGeneration: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).meta({ format: 'int64' }),
  threshold: RiskScore,
  /** The effective risk: max(analysis, rules floor). */
  riskScore: RiskScore,
  touchesApplicationCode: z.boolean().optional(),
  decidedAt: Timestamp.optional(),
});
export type GateStatus = z.infer<typeof GateStatus>;

export const ApprovalStatus = z.strictObject({
  requestedAt: Timestamp.optional(),
  expiresAt: Timestamp.optional(),
  /** Where the request was posted; `ts` identifies the message for updates. */
  slack: z
    .strictObject({
      channel: SlackChannel,
      ts: z.string().max(32).regex(/^[0-9]+\.[0-9]+$/, { error: "must be a Slack message timestamp such as '1700000000.000100'" }),
    })
    .optional(),
  /** Slack user id of who decided, or `system` for an expiry. */
  decidedBy: z.string().min(1).max(256).optional(),
  decidedAt: Timestamp.optional(),
  decision: z.enum(['approved', 'rejected', 'expired']).optional(),
  escalatedAt: Timestamp.optional(),
});
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

const StepResult = z.enum(['succeeded', 'failed']);

export const VerificationStatus = z.strictObject({
  /** The run attempt being watched (the re-run the remediation started). */
  runAttempt: z.number().int().min(1).max(1000).optional(),
  startedAt: Timestamp.optional(),
  finishedAt: Timestamp.optional(),
  /** `inconclusive`: the run did not finish in time, or its result cannot be attributed to the fix. */
  result: z.enum(['passed', 'failed', 'inconclusive']).optional(),
  /** GitHub's conclusion of the verified run. */
  conclusion: z.string().max(64).optional(),
  message: z.string().max(4096).optional(),
});
export type VerificationStatus = z.infer<typeof VerificationStatus>;

export const RollbackStatus = z.strictObject({
  /** What undid the remediation (e.g. cancelling the re-run). */
  action: z.string().min(1).max(128).optional(),
  reason: z.string().max(4096).optional(),
  startedAt: Timestamp.optional(),
  finishedAt: Timestamp.optional(),
  result: StepResult.optional(),
  output: z.string().max(MAX_OUTPUT_LENGTH).optional(),
});
export type RollbackStatus = z.infer<typeof RollbackStatus>;

export const ExecutionStatus = z.strictObject({
  action: RemediationAction,
  /**
   * Written (with a resourceVersion precondition) before the GitHub call. Set without `startedAt` after a
   * restart, it means "maybe done": the operator looks for the effect on GitHub instead of calling again.
   */
  intentRecordedAt: Timestamp,
  startedAt: Timestamp.optional(),
  finishedAt: Timestamp.optional(),
  result: StepResult.optional(),
  output: z.string().max(MAX_OUTPUT_LENGTH).optional(),
  /** The attempt a re-run created; verification watches it. */
  newRunAttempt: z.number().int().min(1).max(1000).optional(),
  verification: VerificationStatus.optional(),
  rollback: RollbackStatus.optional(),
});
export type ExecutionStatus = z.infer<typeof ExecutionStatus>;

const SlackTs = z.string().max(32).regex(/^[0-9]+\.[0-9]+$/, { error: "must be a Slack message timestamp such as '1700000000.000100'" });

export const SlackThreadStatus = z.strictObject({
  /** The channel and ts of the thread's parent message: updated in place, replies go under it. */
  channel: SlackChannel,
  ts: SlackTs,
  /**
   * Set when this record's messages went into an earlier record's thread (the same failure again within the
   * window): the name of that record, whose parent this record never updates.
   */
  sharedWith: ObjectName.optional(),
});
export type SlackThreadStatus = z.infer<typeof SlackThreadStatus>;

export const FailureRecordStatus = z.strictObject({
  phase: FailurePhase.optional(),
  observedGeneration: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).meta({ format: 'int64' }).optional(),
  // A map keyed by type, like metav1 conditions: server-side apply then merges conditions per type.
  conditions: z
    .array(Condition)
    .max(16)
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
    .optional(),
  analysis: AnalysisStatus.optional(),
  gate: GateStatus.optional(),
  approval: ApprovalStatus.optional(),
  execution: ExecutionStatus.optional(),
  /** The Slack thread of this record (written by the Slack notifier); `approval.slack` is the approval card. */
  slack: SlackThreadStatus.optional(),
});
export type FailureRecordStatus = z.infer<typeof FailureRecordStatus>;

export const FailureRecord = z.strictObject({
  apiVersion: z.literal(GROUP_VERSION),
  kind: z.literal(FAILURE_RECORD_KIND),
  metadata: ObjectMeta,
  spec: FailureRecordSpec,
  status: FailureRecordStatus.optional(),
});
export type FailureRecord = z.infer<typeof FailureRecord>;
/** What a producer writes (defaults not yet applied). */
export type FailureRecordInput = z.input<typeof FailureRecord>;

/** DNS-1123 labels are at most 63 characters; staying within one lets the name be used as a label value too. */
const MAX_NAME_LENGTH = 63;
const HASH_LENGTH = 8;

/**
 * The record's name: deterministic from the repository, run id and attempt, so a second report of the same
 * failure (the action and the webhook both seeing it, a retried request) is an AlreadyExists, not a
 * duplicate. Readable (`acme-web-123456789-1-<hash>`) and a DNS-1123 label: lower case, at most 63
 * characters. The repository is truncated when long; the hash (of the whole, lower-cased repository) keeps
 * repositories that normalize to the same prefix (`acme/web.app` vs `acme/web_app`) apart.
 * GitHub treats repository names case-insensitively, so `Acme/Web` and `acme/web` give the same name.
 */
export function failureRecordName(repository: string, runId: number, runAttempt: number): string {
  if (!RepositoryName.safeParse(repository).success) {
    throw new TypeError(`Invalid repository '${repository}'. Expected {owner}/{name}.`);
  }
  if (!Number.isSafeInteger(runId) || runId < 1) throw new RangeError(`Invalid run id ${String(runId)}. Expected a positive integer.`);
  if (!Number.isSafeInteger(runAttempt) || runAttempt < 1) {
    throw new RangeError(`Invalid run attempt ${String(runAttempt)}. Expected a positive integer.`);
  }
  const repo = repositoryKey(repository);
  const hash = createHash('sha256').update(`${repo}#${runId}#${runAttempt}`, 'utf8').digest('hex').slice(0, HASH_LENGTH);
  const suffix = `${runId}-${runAttempt}-${hash}`;
  const budget = MAX_NAME_LENGTH - suffix.length - 1;
  const prefix = repo
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, budget)
    .replace(/^-+|-+$/g, '');
  return prefix === '' ? suffix : `${prefix}-${suffix}`;
}
