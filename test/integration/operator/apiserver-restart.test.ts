import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPrivateControlPlane, type PrivateControlPlane } from '../../support/cluster-setup.ts';
import { createNamespace, kube, pool, type CustomObject, type Kube } from '../../support/kube.ts';
import { killAllOperators, startOperator, waitReady, type OperatorProcess } from '../../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts';
import { createPolicy, createRecord, waitAllGated } from './fixtures.ts';
import { expectCompleteAudit } from './audit-assertions.ts';

// kube-apiserver restarts under a running operator (an upgrade of the control plane, a crash): its watches
// break and its requests fail for a few seconds. It must reconnect on its own and finish every record,
// including the ones in flight when the API server went away. A private control plane, so the shared one
// stays up for the other test files.

let controlPlane: PrivateControlPlane;
let k: Kube;
let namespace: string;
let database: TestDatabase;
let operator: OperatorProcess;

beforeAll(async () => {
  controlPlane = await startPrivateControlPlane();
  k = kube(controlPlane.kubeconfig);
  namespace = await createNamespace(k, 'op-restart');
  database = await createTestDatabase();
  await createPolicy(k, namespace, 'permissive', { repositories: ['acme/*'], riskThreshold: 60 });
  operator = await startOperator({ kubeconfig: controlPlane.kubeconfig, namespaces: [namespace], databaseUrl: database.url, leaderElectionNamespace: namespace });
  await waitReady(operator);
}, 180_000);

afterAll(async () => {
  await killAllOperators();
  await database?.drop();
  await controlPlane?.destroy();
}, 60_000);

const batch = (prefix: string, n: number) => pool(Array.from({ length: n }, (_, i) => i), 8, (i) => createRecord(k, namespace, { repository: `acme/${prefix}-${i}` }));

describe('kube-apiserver restart', () => {
  it('recovers and completes every record, those in flight included', async () => {
    const before = await batch('before', 20);
    // Restart at once, while those are being reconciled.
    const restartedAt = Date.now();
    await controlPlane.restartApiserver();
    console.log(`[operator] kube-apiserver restarted in ${Date.now() - restartedAt} ms`);
    const after = await batch('after', 20);

    const all: CustomObject[] = [...before, ...after];
    const records = await waitAllGated(k, namespace, all.map((record) => record.metadata.name), 180_000);
    const current = all.map((record) => records.get(record.metadata.name) as CustomObject);
    expect(current.every((record) => record.status?.phase === 'AutoApproved')).toBe(true);
    await expectCompleteAudit(database.url, current);
    expect(operator.hasExited()).toBe(false);
    expect((await operator.get('/healthz')).status).toBe(200);
    await waitReady(operator);
  }, 300_000);
});
