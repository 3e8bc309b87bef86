import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNamespace, eventually, kube, listObjects, pool, RECORDS, type CustomObject, type Kube } from '../../support/kube.ts';
import { killAllOperators, startOperator, waitReady, type OperatorProcess } from '../../support/operator-process.ts';
import { startPostgresServer, type PostgresServer } from '../../support/postgres-server.ts';
import { conditionOf, createPolicy, createRecord, isGated, waitAllGated } from './fixtures.ts';
import { expectCompleteAudit } from './audit-assertions.ts';

// No transition without its audit row: while PostgreSQL is down, new records wait, and say why
// (Ready=False, reason AuditUnavailable); when it returns they complete with a complete audit trail. The
// database is a private server this file stops and starts; the shared one on 5432 is never touched.

let server: PostgresServer;
let k: Kube;
let namespace: string;
let operator: OperatorProcess;

beforeAll(async () => {
  server = await startPostgresServer();
  k = kube();
  namespace = await createNamespace(k, 'op-db-outage');
  await createPolicy(k, namespace, 'permissive', { repositories: ['acme/*'], riskThreshold: 60 });
  operator = await startOperator({ kubeconfig: k.kubeconfig, namespaces: [namespace], databaseUrl: server.url, leaderElectionNamespace: namespace });
  await waitReady(operator);
}, 120_000);

afterAll(async () => {
  await killAllOperators();
  await server?.destroy();
}, 60_000);

const batch = (prefix: string, n: number) => pool(Array.from({ length: n }, (_, i) => i), 8, (i) => createRecord(k, namespace, { repository: `acme/${prefix}-${i}` }));

describe('PostgreSQL outage', () => {
  it('holds records at Ready=False AuditUnavailable while the database is down, then completes them', async () => {
    const before = await batch('before', 5);
    await waitAllGated(k, namespace, before.map((record) => record.metadata.name));

    await server.stop();
    let during: CustomObject[] = [];
    try {
      during = await batch('during', 5);
      const names = new Set(during.map((record) => record.metadata.name));
      const waiting = await eventually(
        async () => {
          const records = (await listObjects(k, RECORDS, namespace)).filter((record) => names.has(record.metadata.name));
          for (const record of records) {
            expect({ name: record.metadata.name, ready: conditionOf(record, 'Ready') }).toMatchObject({
              name: record.metadata.name,
              ready: { status: 'False', reason: 'AuditUnavailable' },
            });
          }
          return records;
        },
        { timeoutMs: 90_000, intervalMs: 500, description: 'records waiting with Ready=False AuditUnavailable' },
      );
      // Waiting means not moving on: no gate decision was taken without its audit row.
      expect(waiting.filter(isGated).map((record) => record.metadata.name)).toEqual([]);
      expect(operator.hasExited()).toBe(false);
      expect((await operator.get('/healthz')).status).toBe(200);
    } finally {
      await server.start();
    }

    const all = [...before, ...during];
    const records = await waitAllGated(k, namespace, all.map((record) => record.metadata.name), 180_000);
    const current = all.map((record) => records.get(record.metadata.name) as CustomObject);
    expect(current.every((record) => record.status?.phase === 'AutoApproved')).toBe(true);
    for (const record of current) expect(conditionOf(record, 'Ready')?.reason).not.toBe('AuditUnavailable');
    await expectCompleteAudit(server.url, current);
  }, 300_000);
});
