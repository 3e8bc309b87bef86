import { deepFreeze, GROUP_VERSION } from '../api/common.ts';
import { REMEDIATION_POLICY_KIND, RemediationPolicy, type RemediationPolicyInput } from '../api/remediation-policy.ts';

/**
 * The policy the CLI applies when no `--policy` is given: every repository, the schema's defaults
 * (automatic re-runs of transient failures below risk 30, blocked at 90 and above, application code and
 * suspected injection go to a person). Written as a document and parsed with the schema, so it cannot
 * drift from what a user would get by applying the same YAML (docs/spec/remediationpolicy.md shows it).
 */
export const DEFAULT_POLICY_DOCUMENT: RemediationPolicyInput = {
  apiVersion: GROUP_VERSION,
  kind: REMEDIATION_POLICY_KIND,
  metadata: { name: 'default' },
  spec: {
    repositories: ['*/*'],
    priority: 0,
    riskThreshold: 30,
    riskCeiling: 90,
    protected: false,
    allowedActions: ['rerun-failed-jobs', 'notify-only'],
    analysis: { provider: 'rules' },
    suspend: false,
  },
};

export const DEFAULT_POLICY: RemediationPolicy = deepFreeze(RemediationPolicy.parse(DEFAULT_POLICY_DOCUMENT));

/** Marks the synthetic policy below so the gate can say "no policy matched" instead of quoting a threshold. */
export const NO_MATCH_LABEL = 'ci-remediator.dev/no-matching-policy';

/**
 * What governs a repository when policies exist but none matches it: nothing automatic. A repository nobody
 * wrote a policy for is one nobody decided may be fixed unattended, so the safe answer is "ask": threshold
 * 0 (every risk is at or above it), the default ceiling and actions, everything else from the schema.
 */
export const NO_MATCH_POLICY: RemediationPolicy = deepFreeze(
  RemediationPolicy.parse({
    apiVersion: GROUP_VERSION,
    kind: REMEDIATION_POLICY_KIND,
    metadata: { name: 'no-matching-policy', labels: { [NO_MATCH_LABEL]: 'true' } },
    spec: { repositories: ['*/*'], riskThreshold: 0 },
  } satisfies RemediationPolicyInput),
);

export function isNoMatchPolicy(policy: RemediationPolicy): boolean {
  return policy.metadata.labels?.[NO_MATCH_LABEL] === 'true';
}
