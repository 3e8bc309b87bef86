// Operator benchmark on the real control plane: how fast records are gated, how long one waits at a steady
// rate, and what the operator costs in memory and CPU beside kube-apiserver and etcd. Prints figures,
// asserts nothing. Targets: burst >= 100 records/s; steady 50/s p99 create-to-gated < 2 s; peak RSS with
// 10,000 records cached < 200 MB.
//
//   node bench/operator.ts [--burst 1000] [--rate 50] [--seconds 30] [--cached 10000] [--in-flight 32]
//                          [--max-concurrent-reconciles 8] [--private] [--no-build] [--keep]
//                          [--phases burst,steady,memory] [--operator-heap-mb N] [--operator-node-options FLAGS]
//                          [--operator-env KEY=VALUE ...] [--slow-analysis 30s]
//
// --slow-analysis D: one more record in the steady phase (created first) whose analysis takes D longer,
// through the operator's test/bench-only CI_REMEDIATOR_TEST_SLOW_ANALYSIS hook (docs/operator.md); the
// steady figures are of the other records, so they show whether a slow analyzer holds up anyone else.
//
// Uses the shared control plane (.cluster/, started if needed) and a throwaway PostgreSQL database on
// 127.0.0.1:5432; records go into a namespace of their own, deleted through the operator afterwards (so its
// finalizer runs) unless --keep. --private runs on a control plane of its own in a temp directory instead.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Watch } from '@kubernetes/client-node';
import { clusterStateDir, clusterUp } from '../scripts/cluster/harness.mjs';
import { applyCrds, REPO_ROOT, startPrivateControlPlane, type PrivateControlPlane } from '../test/support/cluster-setup.ts';
import { createNamespace, GROUP, kube, pool, RECORDS, VERSION, type CustomObject } from '../test/support/kube.ts';
import { cpuSeconds, procStatusKb, startOperator, waitReady } from '../test/support/operator-process.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { createPolicy, failureRecord, GATED_PHASES } from '../test/integration/operator/fixtures.ts';
import { median, percentile } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    burst: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '30' },
    cached: { type: 'string', default: '10000' },
    // Which parts to run, comma-separated: burst, steady, memory.
    phases: { type: 'string', default: 'burst,steady,memory' },
    'in-flight': { type: 'string', default: '32' },
    'max-concurrent-reconciles': { type: 'string', default: '8' },
    private: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    // The V8 heap limit the operator runs with, as the chart sets it from the container's memory limit.
    'operator-heap-mb': { type: 'string' },
    // Any other Node/V8 flags for the operator process (e.g. '--max-semi-space-size=4'), as a chart would set NODE_OPTIONS.
    'operator-node-options': { type: 'string', default: '' },
    // Extra environment for the operator process, KEY=VALUE, repeatable (e.g. MALLOC_ARENA_MAX=2).
    'operator-env': { type: 'string', multiple: true, default: [] },
    'slow-analysis': { type: 'string' },
  },
});
const BURST = Number(values.burst);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const CACHED = Number(values.cached);
const IN_FLIGHT = Number(values['in-flight']);
const PHASES = new Set(values.phases.split(',').map((phase) => phase.trim()));

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const ms = (n: number) => `${fmt(n)} ms`;

// ------------------------------------------------------------------------------------------- set-up
let privatePlane: PrivateControlPlane | null = null;
let kubeconfig: string;
let pidDir: string;
if (values.private) {
  // CLUSTER_APISERVER_ARGS reaches the private kube-apiserver too (e.g. --profiling=true to take a CPU profile).
  privatePlane = await startPrivateControlPlane({ apiserverArgs: process.env.CLUSTER_APISERVER_ARGS ?? '' });
  kubeconfig = privatePlane.kubeconfig;
  pidDir = privatePlane.stateDir;
} else {
  kubeconfig = clusterUp().kubeconfig;
  pidDir = clusterStateDir();
  await applyCrds(kubeconfig);
}
if (!values['no-build']) execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-cli.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });

const k = kube(kubeconfig);
const namespace = await createNamespace(k, 'bench-operator');
const database = await createTestDatabase();
await createPolicy(k, namespace, 'permissive', { repositories: ['acme/*'], riskThreshold: 60 });

const operatorNodeOptions = [
  values['operator-heap-mb'] === undefined ? '' : `--max-old-space-size=${Number(values['operator-heap-mb'])}`,
  values['operator-node-options'],
]
  .filter((flag) => flag !== '')
  .join(' ');
const operatorEnv = Object.fromEntries(
  values['operator-env'].map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--operator-env takes KEY=VALUE, got '${pair}'`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const SLOW_RECORD = 'slow-analysis';
if (values['slow-analysis'] !== undefined) operatorEnv.CI_REMEDIATOR_TEST_SLOW_ANALYSIS = `${SLOW_RECORD}=${values['slow-analysis']}`;
const daemonPid = (name: string): number => Number(readFileSync(join(pidDir, `${name}.pid`), 'utf8').trim());
const operator = await startOperator({
  kubeconfig,
  namespaces: [namespace],
  databaseUrl: database.url,
  leaderElectionNamespace: namespace,
  maxConcurrentReconciles: Number(values['max-concurrent-reconciles']),
  identity: 'bench',
  env: { NODE_OPTIONS: operatorNodeOptions, ...operatorEnv },
});
await waitReady(operator);
// The benchmark itself (creates and its own watch) competes for the same cores; shown so the figure can be read.
const pids = { operator: operator.pid, 'kube-apiserver': daemonPid('kube-apiserver'), etcd: daemonPid('etcd'), 'load generator (this process)': process.pid };
const cpu = () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)])) as Record<keyof typeof pids, number>;

console.log(
  `operator benchmark: namespace ${namespace}, --max-concurrent-reconciles ${values['max-concurrent-reconciles']}, ${IN_FLIGHT} creates in flight` +
    (operatorNodeOptions === '' ? '' : `, operator NODE_OPTIONS '${operatorNodeOptions}'`) +
    (values['operator-env'].length === 0 ? '' : `, operator env ${values['operator-env'].join(' ')}`) +
    (values['slow-analysis'] === undefined ? '' : `, one record analyzed ${values['slow-analysis']} slower`),
);

// ------------------------------------------------------------------- our own watch: when each record was gated
const gatedAt = new Map<string, number>();
const createdAt = new Map<string, number>();
const gatedWaiters = new Set<() => void>();
const watch = new Watch(k.kc);
let watchAbort: AbortController | null = null;
async function startWatch(resourceVersion?: string): Promise<void> {
  watchAbort = await watch.watch(
    `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${RECORDS}`,
    { allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) },
    (type: string, object: CustomObject) => {
      const name = object.metadata?.name;
      if (!name) return;
      lastResourceVersion = object.metadata.resourceVersion ?? lastResourceVersion;
      if (type === 'BOOKMARK') return;
      if (!gatedAt.has(name) && (GATED_PHASES as readonly string[]).includes(String(object.status?.phase ?? ''))) {
        gatedAt.set(name, performance.now());
        for (const wake of gatedWaiters) wake();
      }
    },
    (error: unknown) => {
      // The API server ends watches after a while; resume where we were (a 410 here would lose nothing
      // we need: the final list in waitGated catches up).
      if (!stopping) void startWatch(error ? undefined : lastResourceVersion);
    },
  );
}
let lastResourceVersion: string | undefined;
let stopping = false;
await startWatch();

async function waitGated(names: readonly string[], timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (names.some((name) => !gatedAt.has(name))) {
    if (performance.now() > deadline) return false;
    await new Promise<void>((resolve) => {
      const wake = () => {
        gatedWaiters.delete(wake);
        resolve();
      };
      gatedWaiters.add(wake);
      setTimeout(wake, 1000);
    });
  }
  return true;
}

let serial = 0;
async function create(prefix: string): Promise<string> {
  const body = failureRecord({ repository: `acme/${prefix}-${serial++ % 50}` });
  const name = body.metadata.name;
  await k.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: RECORDS, namespace, body });
  createdAt.set(name, performance.now());
  return name;
}

function report(title: string, cpuBefore: ReturnType<typeof cpu>, wallMs: number): void {
  const after = cpu();
  const parts = (Object.keys(pids) as Array<keyof typeof pids>).map((name) => `${name} ${fmt(after[name] - cpuBefore[name], 1)} s`);
  console.log(`  CPU over ${fmt(wallMs / 1000, 1)} s (${title}): ${parts.join(', ')}`);
}

// --------------------------------------------------------------------------------------- 1. burst
if (PHASES.has('burst')) {
  const cpuBefore = cpu();
  const t0 = performance.now();
  const names = await pool(Array.from({ length: BURST }), IN_FLIGHT, () => create('burst'));
  const created = performance.now();
  const complete = await waitGated(names, 600_000);
  const done = Math.max(...names.map((name) => gatedAt.get(name) ?? performance.now()));
  console.log(`\n1. burst: ${BURST} records created at once`);
  console.log(`  created in ${ms(created - t0)} (${fmt((BURST * 1000) / (created - t0))} creates/s, ${IN_FLIGHT} in flight)`);
  console.log(`  all gated ${complete ? '' : '(NOT all: timed out) '}after ${ms(done - t0)}: ${fmt((BURST * 1000) / (done - t0), 1)} records/s (target >= 100/s)`);
  report('burst', cpuBefore, done - t0);
}

// -------------------------------------------------------------------------------------- 2. steady
if (PHASES.has('steady')) {
  const total = RATE * SECONDS;
  const cpuBefore = cpu();
  const t0 = performance.now();
  const names: string[] = [];
  const creations: Array<Promise<void>> = [];
  let late = 0;
  let slow: string | undefined;
  if (values['slow-analysis'] !== undefined) {
    const body = failureRecord({ name: SLOW_RECORD, repository: 'acme/slow' });
    await k.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: RECORDS, namespace, body });
    createdAt.set(SLOW_RECORD, performance.now());
    slow = SLOW_RECORD;
  }
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    else if (wait < -100) late++;
    creations.push(create('steady').then((name) => void names.push(name)));
  }
  await Promise.all(creations);
  const complete = await waitGated(names, 300_000);
  const latencies = names.filter((name) => gatedAt.has(name)).map((name) => (gatedAt.get(name) as number) - (createdAt.get(name) as number));
  const end = Math.max(...names.map((name) => gatedAt.get(name) ?? performance.now()));
  console.log(`\n2. steady: ${RATE} records/s for ${SECONDS} s (${total} records${late ? `, ${late} created late by > 100 ms` : ''})`);
  console.log(
    `  create-to-gated (create call returned -> gated phase seen on our watch): p50 ${ms(median(latencies))}, p90 ${ms(percentile(latencies, 0.9))}, ` +
      `p99 ${ms(percentile(latencies, 0.99))}, max ${ms(Math.max(...latencies))} (target p99 < 2 s)${complete ? '' : ' (NOT all gated: timed out)'}`,
  );
  if (slow !== undefined) {
    const gated = await waitGated([slow], 600_000);
    console.log(`  the slow record (${values['slow-analysis']} analysis, not in the figures above): gated ${gated ? `after ${ms((gatedAt.get(slow) as number) - (createdAt.get(slow) as number))}` : 'NOT (timed out)'}`);
  }
  report('steady', cpuBefore, end - t0);
}

// ------------------------------------------------------------------------------------ 3. cached records
if (PHASES.has('memory')) {
  const missing = Math.max(0, CACHED - createdAt.size);
  const cpuBefore = cpu();
  const t0 = performance.now();
  const names = await pool(Array.from({ length: missing }), IN_FLIGHT, () => create('cached'));
  const complete = await waitGated(names, 900_000);
  const end = performance.now();
  // Let a resync-free idle period pass so the heap settles, then read the high-water mark.
  const metrics = await operator.metrics().catch(() => null);
  console.log(`\n3. memory: ${createdAt.size} records in the namespace (${missing} more created, ${complete ? 'all gated' : 'NOT all gated: timed out'} in ${ms(end - t0)})`);
  console.log(`  operator peak RSS (VmHWM) ${fmt(procStatusKb(operator.pid, 'VmHWM') / 1024, 1)} MB, RSS now ${fmt(procStatusKb(operator.pid, 'VmRSS') / 1024, 1)} MB (target peak < 200 MB)`);
  console.log(
    `  kube-apiserver RSS ${fmt(procStatusKb(pids['kube-apiserver'], 'VmRSS') / 1024, 1)} MB, etcd RSS ${fmt(procStatusKb(pids.etcd, 'VmRSS') / 1024, 1)} MB`,
  );
  if (metrics) {
    console.log(`  reconciles ${metrics.sum('ci_remediator_reconcile_total')}, errors ${metrics.sum('ci_remediator_reconcile_errors_total')}`);
    const mb = (name: string) => fmt(metrics.sum(name) / 1024 / 1024, 1);
    console.log(`  operator V8 heap used ${mb('ci_remediator_nodejs_heap_size_used_bytes')} MB of ${mb('ci_remediator_nodejs_heap_size_total_bytes')} MB allocated, external ${mb('ci_remediator_nodejs_external_memory_bytes')} MB`);
  }
  report(`${createdAt.size} cached`, cpuBefore, end - t0);
}

// ---------------------------------------------------------------------------------------- clean-up
stopping = true;
(watchAbort as AbortController | null)?.abort();
try {
  if (!values.keep && !privatePlane) await cleanUp();
} finally {
  await operator.stop('SIGTERM');
  await database.drop();
  await privatePlane?.destroy();
}

/** Deletes the records through the operator (its finalizer writes the audit rows and lets go), then the namespace. */
async function cleanUp(): Promise<void> {
  const t0 = performance.now();
  const deadline = t0 + 600_000;
  const remaining = async () =>
    ((await k.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: RECORDS, namespace, limit: 1 })) as { items: unknown[]; metadata?: { remainingItemCount?: number } });
  for (;;) {
    const page = await remaining();
    const left = page.items.length + (page.metadata?.remainingItemCount ?? 0);
    if (left === 0 || performance.now() > deadline) break;
    // A deletecollection of thousands can outlast the API server's 60 s request timeout (504); it keeps
    // deleting, and another call picks up what is left.
    await k.custom.deleteCollectionNamespacedCustomObject({ group: GROUP, version: VERSION, plural: RECORDS, namespace }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  const leftovers = ((await k.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: RECORDS, namespace })) as { items: CustomObject[] }).items;
  await pool(leftovers, 16, (record) =>
    k.custom
      .patchNamespacedCustomObject({ group: GROUP, version: VERSION, plural: RECORDS, namespace, name: record.metadata.name, body: [{ op: 'remove', path: '/metadata/finalizers' }] })
      .catch(() => undefined),
  );
  console.log(`\nclean-up: ${createdAt.size} records deleted in ${ms(performance.now() - t0)}${leftovers.length ? ` (${leftovers.length} finalizers stripped by hand)` : ''}`);
  await k.core.deleteNamespace({ name: namespace }).catch(() => undefined);
}
