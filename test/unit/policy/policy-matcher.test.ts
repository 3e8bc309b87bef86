import { describe, expect, it } from '@jest/globals';
import { RemediationPolicy, type RemediationPolicyInput } from '../../../src/api/remediation-policy.ts';
import { NO_MATCH_POLICY } from '../../../src/policy/default-policy.ts';
import { patternSpecificity, resolvePolicy, selectPolicy } from '../../../src/policy/policy-matcher.ts';

function policy(name: string, repositories: string[], extra: Partial<RemediationPolicyInput['spec']> = {}, namespace?: string): RemediationPolicy {
  return RemediationPolicy.parse({
    apiVersion: 'ci-remediator.dev/v1alpha1',
    kind: 'RemediationPolicy',
    metadata: namespace === undefined ? { name } : { name, namespace },
    spec: { repositories, ...extra },
  });
}

function selected(policies: RemediationPolicy[], repository: string): [string, string] | null {
  const match = selectPolicy(policies, repository);
  return match === null ? null : [match.policy.metadata.name, match.pattern];
}

describe('selectPolicy', () => {
  const everything = policy('everything', ['*/*']);
  const org = policy('org', ['acme/*']);
  const web = policy('web', ['acme/web-*']);
  const exact = policy('exact', ['acme/web-shop']);

  it('prefers an exact name to any glob', () => {
    expect(selected([everything, org, web, exact], 'acme/web-shop')).toEqual(['exact', 'acme/web-shop']);
  });

  it('prefers fewer wildcards, then the longer literal part', () => {
    expect(selected([everything, org, web], 'acme/web-blog')).toEqual(['web', 'acme/web-*']);
    expect(selected([everything, org], 'acme/api')).toEqual(['org', 'acme/*']);
    expect(selected([everything, org], 'other/api')).toEqual(['everything', '*/*']);
    expect(selected([policy('two', ['acme/*-*']), web], 'acme/web-x')).toEqual(['web', 'acme/web-*']);
  });

  it('counts bracket classes and brace groups as one wildcard each', () => {
    expect(patternSpecificity('acme/{web,api}')).toEqual({ exact: false, wildcards: 1, literalLength: 5 });
    expect(patternSpecificity('acme/svc-[0-9]')).toEqual({ exact: false, wildcards: 1, literalLength: 9 });
    expect(patternSpecificity('acme/web')).toEqual({ exact: true, wildcards: 0, literalLength: 8 });
    expect(patternSpecificity('**/*')).toEqual({ exact: false, wildcards: 2, literalLength: 1 });
  });

  it('uses priority only between equally specific patterns', () => {
    const low = policy('low', ['acme/*'], { priority: 1 });
    const high = policy('high', ['acme/*'], { priority: 5 });
    expect(selected([low, high], 'acme/api')).toEqual(['high', 'acme/*']);
    const broadButUrgent = policy('broad', ['*/*'], { priority: 1000 });
    expect(selected([broadButUrgent, low], 'acme/api')).toEqual(['low', 'acme/*']);
  });

  it('breaks full ties by namespace/name, whatever the order of the list', () => {
    const a = policy('a', ['acme/*']);
    const b = policy('b', ['acme/*']);
    expect(selected([b, a], 'acme/x')).toEqual(['a', 'acme/*']);
    expect(selected([a, b], 'acme/x')).toEqual(['a', 'acme/*']);
    const inTeam = policy('a', ['acme/*'], {}, 'team');
    const inPlatform = policy('a', ['acme/*'], {}, 'platform');
    expect(selectPolicy([inTeam, inPlatform], 'acme/x')?.policy.metadata.namespace).toBe('platform');
  });

  it('reports the most specific of a policy’s own patterns', () => {
    expect(selected([policy('multi', ['*/*', 'acme/*', 'acme/web'])], 'acme/web')).toEqual(['multi', 'acme/web']);
  });

  it('matches case-insensitively, and repositories whose names start with a dot', () => {
    expect(selected([exact], 'ACME/Web-Shop')).toEqual(['exact', 'acme/web-shop']);
    expect(selected([org], 'acme/.github')).toEqual(['org', 'acme/*']);
  });

  it('never lets * cross the slash between owner and name', () => {
    expect(selected([policy('p', ['acme*/x'])], 'acme/y/x')).toBeNull();
    expect(selected([policy('p', ['*/web'])], 'acme/web')).toEqual(['p', '*/web']);
    expect(selected([policy('p', ['*/web'])], 'acme/webshop')).toBeNull();
  });

  it('still selects a suspended policy (the gate reports it)', () => {
    const suspended = policy('frozen', ['acme/web-shop'], { suspend: true });
    expect(selected([org, suspended], 'acme/web-shop')).toEqual(['frozen', 'acme/web-shop']);
  });

  it('returns null when nothing matches, and resolvePolicy falls back to approval-only', () => {
    expect(selectPolicy([org], 'other/x')).toBeNull();
    expect(selectPolicy([], 'other/x')).toBeNull();
    expect(resolvePolicy([org], 'other/x')).toEqual({ policy: NO_MATCH_POLICY, pattern: null });
    expect(resolvePolicy([org], 'acme/x')).toEqual({ policy: org, pattern: 'acme/*' });
  });
});
