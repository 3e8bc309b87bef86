import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNamespace, eventually, kube, pool, readLease, type CustomObject, type Kube } from '../../support/kube.ts';
import { killAllOperators, startOperator, waitReady, type OperatorOptions, type OperatorProcess } from '../../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts';
import { createPolicy, createRecord, auditRows, phasesByUid, waitAllGated } from './fixtures.ts';
import { expectCompleteAudit } from './audit-assertions.ts';

// Two replicas, one Lease: only the leader reconciles; a leader that dies without releasing is replaced
// within lease duration + retry period (15 s + 2 s); a leader that is told to stop (SIGTERM) releases the
// Lease and exits 0, so the other takes over at once. Every record completes exactly once throughout.

const LEASE = 'ci-remediator-operator';
const RECORDS_PER_PHASE = 15;

let k: Kube;
let namespace: string;
let database: TestDatabase;
let options: OperatorOptions;
const created: CustomObject[] = [];

beforeAll(async () => {
  k = kube();
  namespace = await createNamespace(k, 'op-leader');
  database = await createTestDatabase();
  await createPolicy(k, namespace, 'permissive', { repositories: ['acme/*'], riskThreshold: 60 });
  options = { kubeconfig: k.kubeconfig, namespaces: [namespace], databaseUrl: database.url, leaderElectionNamespace: namespace };
}, 60_000);

afterAll(async () => {
  await killAllOperators();
  await database?.drop();
});

async function holder(): Promise<string | undefined> {
  return (await readLease(k, namespace, LEASE))?.spec?.holderIdentity ?? undefined;
}

async function createBatch(prefix: string): Promise<CustomObject[]> {
  const batch = await pool(Array.from({ length: RECORDS_PER_PHASE }, (_, i) => i), 8, (i) => createRecord(k, namespace, { repository: `acme/${prefix}-${i}` }));
  created.push(...batch);
  return batch;
}

async function expectAllCompletedOnce(): Promise<void> {
  const records = await waitAllGated(k, namespace, created.map((record) => record.metadata.name), 120_000);
  const current = created.map((record) => records.get(record.metadata.name) as CustomObject);
  await expectCompleteAudit(database.url, current);
  // Nothing else in the audit trail either: no row for a record this test did not create.
  const byUid = phasesByUid(await auditRows(database.url));
  expect([...byUid.keys()].sort()).toEqual(current.map((record) => record.metadata.uid).sort());
}

describe('leader election', () => {
  let a: OperatorProcess;
  let b: OperatorProcess;
  let leader: OperatorProcess;
  let follower: OperatorProcess;

  it('lets only the Lease holder reconcile', async () => {
    a = await startOperator({ ...options, identity: 'replica-a' });
    b = await startOperator({ ...options, identity: 'replica-b' });
    const identity = await eventually(
      async () => {
        const current = await holder();
        if (current !== 'replica-a' && current !== 'replica-b') throw new Error(`Lease holder is ${String(current)}`);
        return current;
      },
      { timeoutMs: 60_000, description: 'a leader elected' },
    );
    [leader, follower] = identity === 'replica-a' ? [a, b] : [b, a];
    await leader.waitForLog((line) => line.msg === 'leader election won', 30_000, '"leader election won"');
    await waitReady(leader);
    await waitReady(follower);

    await createBatch('first');
    await expectAllCompletedOnce();

    const [leaderMetrics, followerMetrics] = await Promise.all([leader.metrics(), follower.metrics()]);
    expect(leaderMetrics.sum('ci_remediator_leader')).toBe(1);
    expect(followerMetrics.sum('ci_remediator_leader')).toBe(0);
    expect(leaderMetrics.sum('ci_remediator_reconcile_total')).toBeGreaterThan(0);
    expect(followerMetrics.sum('ci_remediator_reconcile_total')).toBe(0);
    expect(follower.logs.some((line) => line.msg === 'leader election won')).toBe(false);
    expect(await holder()).toBe(leader.identity);
  }, 240_000);

  it('hands over when the leader is killed without releasing the Lease, and completes every record once', async () => {
    const killedAt = Date.now();
    await leader.stop('SIGKILL');
    // Records created while nobody leads: the next leader must pick them up.
    await createBatch('orphaned');
    await eventually(
      async () => {
        expect(await holder()).toBe(follower.identity);
      },
      { timeoutMs: 60_000, intervalMs: 100, description: 'the follower takes the Lease' },
    );
    const handover = Date.now() - killedAt;
    console.log(`[operator] SIGKILLed leader replaced after ${handover} ms (expected within lease 15 s + retry 2 s)`);
    // The Lease lets a replica take over only after the lease duration; faster means it was never held.
    expect(handover).toBeGreaterThan(5_000);
    await follower.waitForLog((line) => line.msg === 'leader election won', 30_000, '"leader election won"');
    await expectAllCompletedOnce();
    [leader, follower] = [follower, leader];
  }, 240_000);

  it('releases the Lease on SIGTERM, exits 0 within 10 s, and the other replica takes over at once', async () => {
    follower = await startOperator({ ...options, identity: 'replica-c' });
    await waitReady(follower);
    await createBatch('before-sigterm');
    await expectAllCompletedOnce();

    const stoppedAt = Date.now();
    const exit = await leader.stop('SIGTERM', 30_000);
    const stopTime = Date.now() - stoppedAt;
    console.log(`[operator] SIGTERM -> exit ${JSON.stringify(exit)} after ${stopTime} ms`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stopTime).toBeLessThan(10_000 + 2_000); // the contract's 10 s, plus process start-up noise
    expect(leader.logs.some((line) => line.msg === 'lease released')).toBe(true);

    await createBatch('after-sigterm');
    await eventually(
      async () => {
        expect(await holder()).toBe('replica-c');
      },
      { timeoutMs: 30_000, intervalMs: 100, description: 'replica-c takes the released Lease' },
    );
    const handover = Date.now() - stoppedAt;
    console.log(`[operator] released Lease taken over after ${handover} ms (expected about the retry period, 2 s)`);
    await expectAllCompletedOnce();
  }, 240_000);
});
