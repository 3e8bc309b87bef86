import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { describeIssues } from '../../../src/api/common.ts';
import { parseDuration } from '../../../src/duration.ts';
import { RemediationPolicy, RemediationPolicySpec } from '../../../src/api/remediation-policy.ts';

const valid = {
  apiVersion: 'ci-remediator.dev/v1alpha1',
  kind: 'RemediationPolicy',
  metadata: { name: 'web', namespace: 'ci' },
  spec: { repositories: ['acme/web'] },
};

/** The human messages for a document, or [] when it is valid. */
function problems(document: unknown): string[] {
  const result = RemediationPolicy.safeParse(document);
  return result.success ? [] : describeIssues(result.error.issues, document);
}

function withSpec(spec: Record<string, unknown>): unknown {
  return { ...valid, spec: { ...valid.spec, ...spec } };
}

describe('RemediationPolicy schema', () => {
  it('fills every default from a minimal document', () => {
    const policy = RemediationPolicy.parse(valid);
    expect(policy.spec).toMatchObject({
      priority: 0,
      riskThreshold: 30,
      riskCeiling: 90,
      protected: false,
      suspend: false,
      allowedActions: ['rerun-failed-jobs', 'notify-only'],
      analysis: { provider: 'rules', maxInputTokens: 4000 },
      approval: { timeout: '24h', requireDistinctApprover: true, approvers: { users: [], userGroups: [] } },
      notifications: {},
    });
    expect(policy.spec.applicationCodePaths).toEqual(expect.arrayContaining(['src/**', 'lib/**', 'app/**', 'pkg/**', 'cmd/**', 'internal/**']));
    expect(policy.spec.infrastructurePaths).toEqual(expect.arrayContaining(['.github/**', 'Dockerfile', '**/*.tf', 'charts/**']));
  });

  it.each([
    ['an out-of-range threshold', withSpec({ riskThreshold: 150 }), 'spec.riskThreshold: must be at most 100 (got 150)'],
    ['a negative ceiling', withSpec({ riskCeiling: -1 }), 'spec.riskCeiling: must be at least 0 (got -1)'],
    ['a fractional priority', withSpec({ priority: 1.5 }), 'spec.priority: must be an integer (got 1.5)'],
    ['a string where a boolean belongs', withSpec({ protected: 'yes' }), "spec.protected: must be a boolean (got 'yes')"],
    ['a string where a list belongs', withSpec({ repositories: 'acme/web' }), "spec.repositories: must be a list (got 'acme/web')"],
    ['an unknown spec field', withSpec({ riskThreshhold: 20 }), 'spec.riskThreshhold: unknown field'],
    ['an unknown nested field', withSpec({ approval: { timout: '1h' } }), 'spec.approval.timout: unknown field'],
    ['an unknown top-level field', { ...valid, extra: 1 }, 'extra: unknown field'],
    ['a missing spec', { ...valid, spec: undefined }, 'spec: is required'],
    ['a missing name', { ...valid, metadata: {} }, 'metadata.name: is required'],
    ['a bad name', { ...valid, metadata: { name: 'Web_Policy' } }, "metadata.name: must be a Kubernetes name"],
    ['a wrong apiVersion', { ...valid, apiVersion: 'v1' }, "apiVersion: must be 'ci-remediator.dev/v1alpha1' (got 'v1')"],
    ['an action outside the catalog', withSpec({ allowedActions: ['rm -rf /'] }), "spec.allowedActions[0]: must be one of 'rerun-failed-jobs', 'rerun-workflow', 'clear-caches', 'notify-only' (got 'rm -rf /')"],
    ['a duplicate action', withSpec({ allowedActions: ['notify-only', 'notify-only'] }), "spec.allowedActions: must not contain duplicates ('notify-only' is listed twice)"],
    ['a day-style duration', withSpec({ approval: { timeout: '1d' } }), "spec.approval.timeout: must be a duration such as '30m', '24h' or '1h30m'"],
    ['a duration too long', withSpec({ approval: { timeout: '200h' } }), "spec.approval.timeout: must be between 1m and 168h (got '200h')"],
    ['a duration too short', withSpec({ approval: { timeout: '30s' } }), "spec.approval.timeout: must be between 1m and 168h (got '30s')"],
    ['an empty repository list', withSpec({ repositories: [] }), 'spec.repositories: must have at least 1 entry (got 0)'],
    ['a repository glob without owner', withSpec({ repositories: ['web'] }), "spec.repositories[0]: must be a repository glob as {owner}/{name}"],
    ['a negated repository glob', withSpec({ repositories: ['!acme/secret'] }), 'spec.repositories[0]: must be a repository glob'],
    ['too many repositories', withSpec({ repositories: Array.from({ length: 101 }, (_, i) => `acme/r${i}`) }), 'spec.repositories: must have at most 100 entries (got 101)'],
    ['an absolute path glob', withSpec({ applicationCodePaths: ['/src/**'] }), "spec.applicationCodePaths[0]: must be a relative path glob"],
    ['a backslash path glob', withSpec({ infrastructurePaths: ['deploy\\**'] }), 'spec.infrastructurePaths[0]: must be a relative path glob'],
    ['an empty path glob', withSpec({ applicationCodePaths: [''] }), 'spec.applicationCodePaths[0]: must be at least 1 characters long (got 0)'],
    ['an overlong path glob', withSpec({ applicationCodePaths: ['a'.repeat(300)] }), 'spec.applicationCodePaths[0]: must be at most 256 characters long (got 300)'],
    ['a display name as approver', withSpec({ approval: { approvers: { users: ['alice'] } } }), "spec.approval.approvers.users[0]: must be a Slack user id"],
    ['an unknown provider', withSpec({ analysis: { provider: 'claude' } }), "spec.analysis.provider: must be one of 'rules', 'openai' (got 'claude')"],
    ['a tiny token budget', withSpec({ analysis: { maxInputTokens: 10 } }), 'spec.analysis.maxInputTokens: must be at least 1000 (got 10)'],
    ['a channel without #', withSpec({ notifications: { failures: 'ci failures' } }), 'spec.notifications.failures: must be a Slack channel id'],
  ])('names the field for %s', (_label, document, expected) => {
    const messages = problems(document);
    expect(messages.some((message) => message.startsWith(expected))).toBe(true);
  });

  it('refuses a ceiling below the threshold, naming both values', () => {
    expect(problems(withSpec({ riskThreshold: 50, riskCeiling: 40 }))).toEqual(['spec.riskCeiling: must be at least riskThreshold 50 (got 40)']);
    // The ceiling was left at its default (90): there is no written value to quote, the rule still holds.
    expect(problems(withSpec({ riskThreshold: 95 }))).toEqual(['spec.riskCeiling: must be at least riskThreshold 95']);
    expect(problems(withSpec({ riskThreshold: 40, riskCeiling: 40 }))).toEqual([]);
  });

  it('accepts kubectl output: unknown metadata is dropped, status is allowed', () => {
    const policy = RemediationPolicy.parse({
      ...valid,
      metadata: { ...valid.metadata, uid: 'x', resourceVersion: '12', generation: 3, annotations: { a: 'b' } },
      status: { observedGeneration: 3, matchedRecords: 2 },
    });
    expect(policy.metadata).toEqual({ name: 'web', namespace: 'ci', generation: 3 });
  });

  it('accepts repository names GitHub allows, case and all', () => {
    expect(problems(withSpec({ repositories: ['Acme/.github', 'acme/web_app.v2', 'acme/{web,api}', 'acme/svc-?', '*/*'] }))).toEqual([]);
  });

  it('converts to a JSON schema the CRD generator can use', () => {
    const schema = z.toJSONSchema(RemediationPolicySpec, { io: 'input', target: 'openapi-3.0' }) as Record<string, unknown> & {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(schema['additionalProperties']).toBe(false);
    expect(schema.properties['riskThreshold']).toMatchObject({ type: 'integer', minimum: 0, maximum: 100, default: 30 });
    expect(schema.properties['repositories']).toMatchObject({ type: 'array', minItems: 1, maxItems: 100 });
    expect(schema.properties['allowedActions']).toMatchObject({ 'x-kubernetes-list-type': 'set' });
    expect(schema['x-kubernetes-validations']).toEqual([expect.objectContaining({ rule: 'self.riskCeiling >= self.riskThreshold' })]);
  });
});

describe('parseDuration', () => {
  it.each([
    ['24h', 86_400_000],
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['90s', 90_000],
    ['250ms', 250],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['', '1d', '-1h', 'h', '1 h', '24'])('refuses %p', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
