import { z } from 'zod';
import { REMEDIATION_ACTIONS, RemediationAction } from '../analysis/taxonomy.ts';
import {
  Condition,
  Duration,
  GROUP_VERSION,
  ObjectMeta,
  PathPattern,
  RepositoryPattern,
  SlackChannel,
  SlackUserGroupId,
  SlackUserId,
} from './common.ts';

/**
 * RemediationPolicy (ci-remediator.dev/v1alpha1, namespaced, short name `rp`): which repositories a policy
 * governs and what the gate may do on their behalf. This schema is the one source of truth: the CRD's
 * OpenAPI schema is generated from it, the loader validates files with it, the operator validates watched
 * objects with it. docs/spec/remediationpolicy.md describes every field; keep the two in step.
 */

export const REMEDIATION_POLICY_KIND = 'RemediationPolicy';
/** The resource name in API paths. */
export const REMEDIATION_POLICY_PLURAL = 'remediationpolicies';

/** The transient-failure actions: re-running is what fixes network blips and lost runners. */
export const DEFAULT_ALLOWED_ACTIONS: readonly RemediationAction[] = ['rerun-failed-jobs', 'notify-only'];

/**
 * Where application code usually lives. A failure that touches it may be a real bug, which a re-run only
 * hides, so the gate asks a person (see docs/adr/0001-gate-decisions.md).
 */
export const DEFAULT_APPLICATION_CODE_PATHS: readonly string[] = ['src/**', 'lib/**', 'app/**', 'pkg/**', 'cmd/**', 'internal/**'];

/**
 * Build, deploy and CI configuration. Subtracted from the application-code match, so `src/Dockerfile` or
 * `internal/deploy/main.tf` do not count as application code.
 */
export const DEFAULT_INFRASTRUCTURE_PATHS: readonly string[] = [
  '.github/**',
  'Dockerfile',
  '**/Dockerfile',
  '**/*.Dockerfile',
  '**/docker-compose*.yml',
  '**/docker-compose*.yaml',
  '**/*.tf',
  '**/*.tfvars',
  'charts/**',
  'helm/**',
  'deploy/**',
  'k8s/**',
  '.circleci/**',
];

/** Lists of unique values: the API server enforces it through `x-kubernetes-list-type: set`, we through a refinement. */
function setOf<T extends z.ZodType<string>>(item: T, max: number) {
  return z
    .array(item)
    .max(max)
    .refine((values) => new Set(values).size === values.length, {
      error: (issue) => {
        const values = issue.input as string[];
        return `must not contain duplicates ('${values.find((v, i) => values.indexOf(v) !== i) ?? ''}' is listed twice)`;
      },
    })
    .meta({ 'x-kubernetes-list-type': 'set' });
}

export const PolicyAnalysis = z.strictObject({
  /** `rules` is offline and deterministic; `openai` adds the agent on top of it (the rules still set the floor). */
  provider: z.enum(['rules', 'openai']).default('rules'),
  /** The model for `openai`; unset means the operator's configured default. */
  model: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, { error: "must be a model name such as 'gpt-4.1-mini'" })
    .optional(),
  /**
   * Bounds what one analysis may send to the model (prompt, excerpt and every tool result). A GitHub Actions
   * failure needs well under 4,000 (npm run bench:model); a larger cap mostly buys longer logs of noise.
   */
  maxInputTokens: z.number().int().min(1000).max(200_000).default(4_000),
  /**
   * Input plus output tokens all records under this policy may spend per UTC day; past it, analysis is rules
   * only and says so. Unset: no daily cap (the operator-wide monthly budget still applies).
   */
  dailyTokenBudget: z.number().int().min(1000).max(1_000_000_000).optional(),
});
export type PolicyAnalysis = z.infer<typeof PolicyAnalysis>;

/** GitHub logins: alphanumerics and single hyphens, at most 39 characters (bots end in `[bot]`). */
const GitHubLogin = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9](-?[A-Za-z0-9])*(\[bot\])?$/, { error: "must be a GitHub login such as 'octocat'" });

export const PolicyApprovers = z.strictObject({
  users: setOf(SlackUserId, 100).default([]),
  userGroups: setOf(SlackUserGroupId, 20).default([]),
  /**
   * Slack user id -> GitHub login, for requireDistinctApprover: who in Slack pushed the commit. Consulted
   * before the Slack profile (docs/slack.md, "Who counts as the author"); needed when neither the profile's
   * email nor the Slack username gives the login away.
   */
  githubLogins: z
    .record(SlackUserId, GitHubLogin)
    .refine((map) => Object.keys(map).length <= 500, { error: 'must map at most 500 users' })
    .meta({ maxProperties: 500 })
    .default({}),
});
export type PolicyApprovers = z.infer<typeof PolicyApprovers>;

export const PolicyApproval = z.strictObject({
  /** Where approval requests are posted; unset means the operator's configured default channel. */
  channel: SlackChannel.optional(),
  /** Only these people may approve; with both lists empty nobody can, and requests expire. */
  approvers: PolicyApprovers.prefault({}),
  /** How long a request waits before it expires and is escalated. */
  timeout: Duration({ min: '1m', max: '168h' }).default('24h'),
  /** Where expired requests are escalated; unset means no escalation message. */
  escalationChannel: SlackChannel.optional(),
  /** The person whose push caused the failure may not approve its fix (four eyes). */
  requireDistinctApprover: z.boolean().default(true),
});
export type PolicyApproval = z.infer<typeof PolicyApproval>;

export const PolicyNotifications = z.strictObject({
  /** Every analyzed failure with its gate decision. */
  failures: SlackChannel.optional(),
  /** Approval outcomes (approved, rejected, expired); unset means the approval channel. */
  approvals: SlackChannel.optional(),
  /** Execution and verification results. */
  results: SlackChannel.optional(),
  /**
   * A failure with the same fingerprint in the same repository within this window is posted into the first
   * record's thread ("seen again") instead of opening a new one; `0s` turns that off.
   */
  repeatWindow: Duration({ min: '0s', max: '168h' }).default('1h'),
});
export type PolicyNotifications = z.infer<typeof PolicyNotifications>;

const RISK = z.number().int().min(0).max(100);
const isRisk = (value: unknown): boolean => RISK.safeParse(value).success;

export const RemediationPolicySpec = z
  .strictObject({
    repositories: z.array(RepositoryPattern).min(1).max(100),
    /** Breaks ties between equally specific matches; higher wins. */
    priority: z.number().int().min(-1000).max(1000).default(0),
    /** Automatic only when the effective risk is below this. */
    riskThreshold: RISK.default(30),
    /** At or above this the gate blocks, approval or not. */
    riskCeiling: RISK.default(90),
    /** Never automatic: every remediation needs a person. */
    protected: z.boolean().default(false),
    allowedActions: setOf(RemediationAction, REMEDIATION_ACTIONS.length).default([...DEFAULT_ALLOWED_ACTIONS]),
    applicationCodePaths: z.array(PathPattern).max(100).default([...DEFAULT_APPLICATION_CODE_PATHS]),
    infrastructurePaths: z.array(PathPattern).max(100).default([...DEFAULT_INFRASTRUCTURE_PATHS]),
    analysis: PolicyAnalysis.prefault({}),
    approval: PolicyApproval.prefault({}),
    notifications: PolicyNotifications.prefault({}),
    /** Nothing automatic while suspended; records are still analyzed and gated (and blocked). */
    suspend: z.boolean().default(false),
  })
  // Only compares two valid values: an out-of-range threshold is already reported on its own field.
  .refine((spec) => !isRisk(spec.riskThreshold) || !isRisk(spec.riskCeiling) || spec.riskCeiling >= spec.riskThreshold, {
    path: ['riskCeiling'],
    error: (issue) => `must be at least riskThreshold ${String((issue.input as { riskThreshold?: unknown }).riskThreshold)}`,
  })
  // The same rule for the API server (defaults are applied before validation, so both fields are set).
  .meta({
    'x-kubernetes-validations': [{ rule: 'self.riskCeiling >= self.riskThreshold', message: 'riskCeiling must be at least riskThreshold' }],
  });
export type RemediationPolicySpec = z.infer<typeof RemediationPolicySpec>;

export const RemediationPolicyStatus = z.strictObject({
  observedGeneration: z.number().int().min(0).optional(),
  conditions: z.array(Condition).max(16).optional(),
  /** FailureRecords currently governed by this policy. */
  matchedRecords: z.number().int().min(0).optional(),
});
export type RemediationPolicyStatus = z.infer<typeof RemediationPolicyStatus>;

export const RemediationPolicy = z.strictObject({
  apiVersion: z.literal(GROUP_VERSION),
  kind: z.literal(REMEDIATION_POLICY_KIND),
  metadata: ObjectMeta,
  spec: RemediationPolicySpec,
  /** Accepted so `kubectl get rp -o yaml` output loads; the gate never reads it. */
  status: RemediationPolicyStatus.optional(),
});
export type RemediationPolicy = z.infer<typeof RemediationPolicy>;
/** What a user writes (defaults not yet applied). */
export type RemediationPolicyInput = z.input<typeof RemediationPolicy>;
