import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPrivateControlPlane, type PrivateControlPlane } from '../../support/cluster-setup.ts';
import { Watch } from '@kubernetes/client-node';
import { createNamespace, GROUP, kube, pool, RECORDS, VERSION, type CustomObject, type Kube } from '../../support/kube.ts';
import { killAllOperators, startOperator, waitReady, type OperatorProcess } from '../../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts';
import { createPolicy, createRecord, waitAllGated } from './fixtures.ts';
import { expectCompleteAudit } from './audit-assertions.ts';

// The 410 Gone path. The operator's watch resumes from the last resourceVersion it saw; when etcd has
// compacted that revision away, the API server answers "too old resource version" and the only way forward
// is a fresh list. The API server runs without its watch cache (--watch-cache=false), so a resumed watch
// goes straight to etcd and sees the compaction. Sequence: freeze the operator (SIGSTOP), create records,
// stop kube-apiserver (every watch breaks), compact etcd at its current revision, start kube-apiserver,
// create more records, thaw the operator. Its watch reconnects from a compacted revision, and it must relist
// and gate every record created meanwhile.

let controlPlane: PrivateControlPlane;
let k: Kube;
let namespace: string;
let database: TestDatabase;
let operator: OperatorProcess;

beforeAll(async () => {
  controlPlane = await startPrivateControlPlane({ apiserverArgs: '--watch-cache=false' });
  k = kube(controlPlane.kubeconfig);
  namespace = await createNamespace(k, 'op-watch-expiry');
  database = await createTestDatabase();
  await createPolicy(k, namespace, 'permissive', { repositories: ['acme/*'], riskThreshold: 60 });
  // No leader election: a frozen leader would lose its Lease, which is another test's subject.
  operator = await startOperator({ kubeconfig: controlPlane.kubeconfig, namespaces: [namespace], databaseUrl: database.url, leaderElect: false });
  await waitReady(operator);
}, 180_000);

afterAll(async () => {
  await killAllOperators();
  await database?.drop();
  await controlPlane?.destroy();
}, 60_000);

/** The first event of a watch from `resourceVersion`: `{ type: 'ERROR', code: 410 }` once it was compacted. */
async function firstWatchEvent(resourceVersion: string): Promise<{ type: string; code?: number }> {
  const watch = new Watch(k.kc);
  return new Promise((resolve, reject) => {
    let controller: AbortController | undefined;
    watch
      .watch(
        `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${RECORDS}`,
        { resourceVersion },
        (type: string, object: { code?: number }) => {
          resolve({ type, code: object.code });
          controller?.abort();
        },
        (error: unknown) => (error ? reject(error as Error) : resolve({ type: 'CLOSED' })),
      )
      .then((c) => (controller = c), reject);
  });
}

const batch = (prefix: string, n: number) => pool(Array.from({ length: n }, (_, i) => i), 8, (i) => createRecord(k, namespace, { repository: `acme/${prefix}-${i}` }));

describe('watch expiry (410 Gone)', () => {
  it('relists after its resourceVersion was compacted away and gates the records created meanwhile', async () => {
    const first = await batch('first', 5);
    await waitAllGated(k, namespace, first.map((record) => record.metadata.name));

    operator.pause();
    let meanwhile: CustomObject[] = [];
    try {
      meanwhile = await batch('frozen', 10);
      // Something newer than the last record, so that the compaction covers every record event.
      await k.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'revision-bump' }, data: { at: new Date().toISOString() } } });
      await controlPlane.stopApiserver();
      const compactedAt = await controlPlane.compactEtcd();
      console.log(`[operator] etcd compacted at revision ${compactedAt}`);
      await controlPlane.startApiserver();
      meanwhile = [...meanwhile, ...(await batch('restarted', 10))];
      // The scenario really expired what the operator last saw: a watch resumed from the newest record it
      // could have seen before it froze is refused with 410.
      const lastSeen = meanwhile[9]?.metadata.resourceVersion as string;
      expect(await firstWatchEvent(lastSeen)).toEqual({ type: 'ERROR', code: 410 });
    } finally {
      operator.resume();
    }

    const all = [...first, ...meanwhile];
    const records = await waitAllGated(k, namespace, all.map((record) => record.metadata.name), 180_000);
    const current = all.map((record) => records.get(record.metadata.name) as CustomObject);
    expect(current.every((record) => record.status?.phase === 'AutoApproved')).toBe(true);
    await expectCompleteAudit(database.url, current);

    // The contract does not fix a log line for the relist; report whether one was printed.
    const relist = operator.logs.filter((line) => /relist|\b410\b|too old resource/i.test(`${String(line.msg)} ${String(line.err ?? '')}`));
    console.log(`[operator] relist log lines: ${relist.length ? relist.map((line) => JSON.stringify(line)).join('\n') : '(none)'}`);
    expect(operator.hasExited()).toBe(false);
  }, 300_000);
});
