import { describe, expect, it } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RemediationPolicy } from '../../../src/api/remediation-policy.ts';
import { DEFAULT_POLICY, DEFAULT_POLICY_DOCUMENT, NO_MATCH_POLICY, isNoMatchPolicy } from '../../../src/policy/default-policy.ts';
import { gate } from '../../../src/policy/gate.ts';
import { loadPolicyFile } from '../../../src/policy/policy-loader.ts';
import { selectPolicy } from '../../../src/policy/policy-matcher.ts';

const EXAMPLES = join(process.cwd(), 'examples', 'policies');

const transient = {
  category: 'network_error' as const,
  riskScore: 5,
  components: [],
  proposedRemediation: { action: 'rerun-failed-jobs' as const, rationale: 'a registry timed out' },
};

describe('the default policy', () => {
  it('is a valid document and equals its parsed form', () => {
    expect(RemediationPolicy.parse(DEFAULT_POLICY_DOCUMENT)).toEqual(DEFAULT_POLICY);
    expect(DEFAULT_POLICY.metadata.name).toBe('default');
    expect(DEFAULT_POLICY.spec).toMatchObject({ repositories: ['*/*'], riskThreshold: 30, riskCeiling: 90, protected: false, suspend: false });
  });

  it('governs every repository and cannot be changed by accident', () => {
    expect(selectPolicy([DEFAULT_POLICY], 'anyone/anything')?.policy).toBe(DEFAULT_POLICY);
    expect(Object.isFrozen(DEFAULT_POLICY.spec.allowedActions)).toBe(true);
  });

  it('lets a low-risk transient failure re-run on its own', () => {
    expect(gate({ analysis: transient, rulesFloor: 5, policy: DEFAULT_POLICY }).decision).toBe('auto');
  });
});

describe('the no-match policy', () => {
  it('is valid, recognisable, and never automatic', () => {
    expect(RemediationPolicy.parse(NO_MATCH_POLICY)).toEqual(NO_MATCH_POLICY);
    expect(isNoMatchPolicy(NO_MATCH_POLICY)).toBe(true);
    expect(isNoMatchPolicy(DEFAULT_POLICY)).toBe(false);
    const result = gate({ analysis: { ...transient, riskScore: 0 }, rulesFloor: 0, repository: 'acme/x', policy: NO_MATCH_POLICY });
    expect(result.decision).toBe('approval');
    expect(result.threshold).toBe(0);
    expect(result.reasons).toEqual(["no RemediationPolicy matches repository 'acme/x', so every remediation needs an approval"]);
  });
});

describe('example policies', () => {
  it('includes a permissive, a protected and a strict default policy, and all of them load', async () => {
    const files = (await readdir(EXAMPLES)).filter((file) => file.endsWith('.yaml')).sort();
    expect(files).toEqual(expect.arrayContaining(['permissive-frontend.yaml', 'protected-payments.yaml', 'strict-default.yaml']));
    const policies = (await Promise.all(files.map((file) => loadPolicyFile(join(EXAMPLES, file))))).flat();
    expect(policies.length).toBeGreaterThanOrEqual(3);
  });

  it('work together: exact names beat globs, the org default catches the rest', async () => {
    const policies = (
      await Promise.all(['permissive-frontend.yaml', 'protected-payments.yaml', 'strict-default.yaml'].map((f) => loadPolicyFile(join(EXAMPLES, f))))
    ).flat();
    const name = (repository: string) => selectPolicy(policies, repository)?.policy.metadata.name;
    expect(name('acme/payments')).toBe('payments');
    expect(name('acme/web-shop')).toBe('frontend');
    expect(name('acme/billing')).toBe('acme-default');
    expect(name('other/repo')).toBeUndefined();
    const payments = selectPolicy(policies, 'acme/payments')!.policy;
    expect(gate({ analysis: transient, rulesFloor: 0, repository: 'acme/payments', policy: payments }).decision).toBe('approval');
  });
});
