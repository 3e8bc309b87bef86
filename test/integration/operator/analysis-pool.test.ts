import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNamespace, eventually, getObject, kube, RECORDS, type Kube } from '../../support/kube.ts';
import { killAllOperators, startOperator, waitReady } from '../../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts';
import { conditionOf, createPolicy, createRecord, phaseOf, waitGated } from './fixtures.ts';

// Analysis runs on a pool of its own with a deadline per record: a record whose analyzer hangs (made slow
// through the operator's test-only CI_REMEDIATOR_TEST_SLOW_ANALYSIS hook, the real analyzer behind it) gets
// AnalysisFailed at --analysis-timeout, and the records behind it are gated meanwhile.

let k: Kube;
let namespace: string;
let database: TestDatabase;

beforeAll(async () => {
  k = kube();
  namespace = await createNamespace(k, 'op-pool');
  database = await createTestDatabase();
  await createPolicy(k, namespace, 'permissive', { repositories: ['acme/*'], riskThreshold: 60 });
  const operator = await startOperator({
    kubeconfig: k.kubeconfig,
    namespaces: [namespace],
    databaseUrl: database.url,
    leaderElectionNamespace: namespace,
    identity: 'pool-1',
    // One slot: without the deadline the hung analysis would hold every other record.
    extraArgs: ['--max-concurrent-analyses', '1', '--analysis-timeout', '2s'],
    env: { CI_REMEDIATOR_TEST_SLOW_ANALYSIS: 'hung-analysis=1h' },
  });
  await waitReady(operator);
}, 120_000);

afterAll(async () => {
  await killAllOperators();
  await database?.drop();
});

describe('the analysis pool', () => {
  it('ends a hung analysis at its deadline and gates the other records meanwhile', async () => {
    await createRecord(k, namespace, { name: 'hung-analysis', repository: 'acme/hung' });
    const others = await Promise.all([1, 2, 3].map(() => createRecord(k, namespace, { repository: 'acme/web' })));
    for (const record of others) expect(['AutoApproved', 'AwaitingApproval', 'Blocked']).toContain(phaseOf(await waitGated(k, namespace, record.metadata.name, 20_000)));

    const hung = await eventually(
      async () => {
        const record = await getObject(k, RECORDS, namespace, 'hung-analysis');
        if (conditionOf(record, 'Analyzed')?.reason !== 'AnalysisFailed') throw new Error(`not failed yet: ${JSON.stringify(record.status ?? {})}`);
        return record;
      },
      { timeoutMs: 20_000, description: 'AnalysisFailed on the hung record' },
    );
    expect(conditionOf(hung, 'Analyzed')?.message).toContain('the analysis did not finish within 2s (--analysis-timeout)');
    expect(phaseOf(hung) ?? 'Pending').toBe('Pending');
  });
});
