import { beforeAll, describe, expect, it } from '@jest/globals';
import { createNamespace, getObject, kube, POLICIES, RECORDS, rejection, GROUP, VERSION, type Kube } from '../../support/kube.ts';
import { createRecord, failureRecord, remediationPolicy } from './fixtures.ts';

// What a user running `kubectl apply` sees: the API server itself refuses a malformed FailureRecord or
// RemediationPolicy, names the field, and keeps a FailureRecord's spec as it was observed. No operator needed.

let k: Kube;
let namespace: string;

beforeAll(async () => {
  k = kube();
  namespace = await createNamespace(k, 'crd-validation');
});

type Body = ReturnType<typeof failureRecord> & { spec: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

function createRaw(plural: string, body: object) {
  return () => k.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace, body });
}

function causesText(refusal: Awaited<ReturnType<typeof rejection>>): string {
  return [refusal.message ?? '', ...(refusal.details?.causes ?? []).map((cause) => `${cause.field ?? ''}: ${cause.message ?? ''}`)].join('\n');
}

describe('FailureRecord validation', () => {
  it('accepts what the action creates', async () => {
    const created = await createRecord(k, namespace);
    expect(created.metadata.uid).toBeTruthy();
    expect(created.metadata.generation).toBe(1);
  });

  it.each<[string, (body: Body) => void, string]>([
    ['a repository that is not owner/name', (body) => (body.spec.repository = 'not a repo'), 'spec.repository'],
    // GitHub has no such repositories; a record naming one would retry forever.
    ['a repository named ..', (body) => (body.spec.repository = 'acme/..'), 'spec.repository'],
    ['a repository named ...', (body) => (body.spec.repository = 'acme/...'), 'spec.repository'],
    ['no failed jobs', (body) => (body.spec.failedJobs = []), 'spec.failedJobs'],
    ['an unknown source', (body) => (body.spec.source = 'email'), 'spec.source'],
    ['a short commit sha', (body) => (body.spec.commit.sha = 'abc123'), 'spec.commit.sha'],
    ['a run attempt of 0', (body) => (body.spec.workflow.runAttempt = 0), 'spec.workflow.runAttempt'],
    ['an unknown job conclusion', (body) => (body.spec.failedJobs[0].conclusion = 'exploded'), 'spec.failedJobs[0].conclusion'],
    ['a missing detectedAt', (body) => delete body.spec.detectedAt, 'spec.detectedAt'],
  ])('refuses %s, naming the field', async (_case, mutate, field) => {
    const body = failureRecord() as Body;
    mutate(body);
    const refusal = await rejection(createRaw(RECORDS, body));
    expect(refusal.code).toBe(422);
    expect(refusal.reason).toBe('Invalid');
    expect(causesText(refusal)).toContain(field);
  });

  it('keeps the spec immutable after creation (CEL self == oldSelf), while metadata stays editable', async () => {
    const created = await createRecord(k, namespace);
    const name = created.metadata.name;
    const refusal = await rejection(() =>
      k.custom.patchNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: RECORDS,
        namespace,
        name,
        body: [{ op: 'replace', path: '/spec/repository', value: 'acme/other' }],
      }),
    );
    expect(refusal.code).toBe(422);
    expect(causesText(refusal)).toContain('spec is immutable');
    expect(causesText(refusal)).toContain('spec');

    await k.custom.patchNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: RECORDS,
      namespace,
      name,
      body: [{ op: 'add', path: '/metadata/labels', value: { team: 'web' } }],
    });
    const after = await getObject(k, RECORDS, namespace, name);
    expect(after.spec.repository).toBe(created.spec.repository);
  });

  it('refuses a second report of the same failure (same name) as AlreadyExists', async () => {
    const body = failureRecord();
    await createRaw(RECORDS, body)();
    const refusal = await rejection(createRaw(RECORDS, body));
    expect(refusal.code).toBe(409);
    expect(refusal.reason).toBe('AlreadyExists');
  });
});

describe('RemediationPolicy validation', () => {
  it('accepts a minimal policy and fills in the documented defaults', async () => {
    await createRaw(POLICIES, remediationPolicy('minimal', { repositories: ['acme/*'] }))();
    const policy = await getObject(k, POLICIES, namespace, 'minimal');
    expect(policy.spec).toMatchObject({ priority: 0, riskThreshold: 30, riskCeiling: 90, protected: false, suspend: false, allowedActions: ['rerun-failed-jobs', 'notify-only'] });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no repositories', { repositories: [] }, 'spec.repositories'],
    ['a repository pattern without a slash', { repositories: ['acme'] }, 'spec.repositories[0]'],
    ['a threshold above 100', { repositories: ['acme/*'], riskThreshold: 101 }, 'spec.riskThreshold'],
    ['an action outside the catalog', { repositories: ['acme/*'], allowedActions: ['rm-rf'] }, 'spec.allowedActions[0]'],
    ['the same action twice', { repositories: ['acme/*'], allowedActions: ['notify-only', 'notify-only'] }, 'spec.allowedActions[1]'],
    ['a malformed approval timeout', { repositories: ['acme/*'], approval: { timeout: 'tomorrow' } }, 'spec.approval.timeout'],
    ['a ceiling below the threshold (CEL)', { repositories: ['acme/*'], riskThreshold: 60, riskCeiling: 40 }, 'riskCeiling must be at least riskThreshold'],
  ])('refuses %s, naming the field', async (_case, spec, field) => {
    const refusal = await rejection(createRaw(POLICIES, { apiVersion: 'ci-remediator.dev/v1alpha1', kind: 'RemediationPolicy', metadata: { name: `bad-${Math.random().toString(16).slice(2, 8)}` }, spec }));
    expect(refusal.code).toBe(422);
    expect(causesText(refusal)).toContain(field);
  });

  it('applies the CEL rule to updates too', async () => {
    await createRaw(POLICIES, remediationPolicy('ceiling', { repositories: ['acme/*'], riskThreshold: 30, riskCeiling: 80 }))();
    const refusal = await rejection(() =>
      k.custom.patchNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: POLICIES,
        namespace,
        name: 'ceiling',
        body: [{ op: 'replace', path: '/spec/riskCeiling', value: 10 }],
      }),
    );
    expect(refusal.code).toBe(422);
    expect(causesText(refusal)).toContain('riskCeiling must be at least riskThreshold');
  });
});
