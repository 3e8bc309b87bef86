import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  ApiextensionsV1Api,
  KubeConfig,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { clusterUp, testClusterStateDir, type ClusterInfo } from '../../scripts/cluster/harness.mjs';

/**
 * jest globalSetup: the tests' shared control plane in .cluster-test/ (started, or reused when one is
 * already running there, e.g. `.ci/run`'s or a run kept with CLUSTER_KEEP_RUNNING=1),
 * the CRDs applied to it, and a current build of the CLI for the operator tests. Also home of the private
 * control planes that disruptive tests (kube-apiserver restarts, etcd compaction) start for themselves, so
 * the shared one stays up for the test files running beside them.
 */

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLUSTER_SCRIPTS = join(REPO_ROOT, 'scripts', 'cluster');
const CRD_DIR = join(REPO_ROOT, 'crds');
export const FIELD_MANAGER = 'ci-remediator-tests';
const execFileAsync = promisify(execFile);

/** Set by globalSetup for the workers: why the CLI could not be built (the operator tests report it). */
export const BUILD_ERROR_ENV = 'CI_REMEDIATOR_TEST_BUILD_ERROR';
/** Set to 1 by globalSetup when it skipped the control plane (a unit-only run). */
export const NO_CLUSTER_ENV = 'CI_REMEDIATOR_TEST_NO_CLUSTER';

interface GlobalConfigLike {
  testPathPatterns?: { patterns?: readonly string[] } | readonly string[];
}

/** Runs that name only unit, property or store paths need neither a control plane nor a build. */
function needsCluster(config: GlobalConfigLike | undefined): boolean {
  if (process.env.CI_REMEDIATOR_TEST_CLUSTER === '0') return false;
  const raw = config?.testPathPatterns;
  const patterns = Array.isArray(raw) ? raw : ((raw as { patterns?: readonly string[] } | undefined)?.patterns ?? []);
  if (patterns.length === 0) return true;
  const clusterFree = /^(\.\/)?test\/(unit|property)(\/|$)|^(\.\/)?test\/integration\/(store|github|slack)(\/|$)/;
  return !patterns.every((pattern) => clusterFree.test(pattern));
}

export default async function globalSetup(globalConfig?: GlobalConfigLike): Promise<void> {
  if (!needsCluster(globalConfig)) {
    process.env[NO_CLUSTER_ENV] = '1';
    return;
  }
  const started = Date.now();
  // Set here, in jest's main process, so up.sh, down.sh (globalTeardown) and every worker use the tests'
  // state directory, never the user's trial cluster in .cluster/.
  process.env.CLUSTER_STATE_DIR = testClusterStateDir();
  requireTool('kubectl', 'applies the CRDs to the control plane');
  // Said before the slow part, so a first run's build (minutes) does not look like a hang.
  process.stderr.write(
    `\n[test setup] control plane: kube-apiserver + etcd in ${process.env.CLUSTER_STATE_DIR} (started, or reused if running; ` +
      'the first run on a machine builds them with Go, about 6 minutes)\n',
  );
  const info = clusterUp();
  (globalThis as { __CLUSTER__?: ClusterInfo }).__CLUSTER__ = info;
  process.stderr.write(`[test setup] ${info.state} at ${info.server}; applying the CRDs and bundling the CLI for the operator tests\n`);
  await applyCrds(info.kubeconfig);
  buildCli();
  if (process.env.CI_REMEDIATOR_TEST_VERBOSE === '1') {
    console.log(`\n[cluster-setup] control plane ${info.state} at ${info.server}, CRDs established, build done in ${Date.now() - started} ms`);
  }
}

function requireTool(name: string, why: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${name} is not installed; the test setup needs it (it ${why}). Install it, or run only unit tests: npm test -- test/unit`);
  }
}

/** `npm run build`, so the operator tests spawn a dist/ that matches the sources. */
function buildCli(): void {
  try {
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-cli.mjs')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    delete process.env[BUILD_ERROR_ENV];
  } catch (error) {
    // Unit tests must not fail because the operator does not build; the operator tests report this.
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    process.env[BUILD_ERROR_ENV] = `npm run build failed: ${stderr.slice(-2000) || String(error)}`;
  }
}

/**
 * Server-side applies every CRD in crds/ and waits until the API server reports each one Established.
 * Through kubectl, not KubernetesObjectApi: client-node serializes a CRD through its typed model, which
 * drops `enum`, `default` and `x-kubernetes-validations` (they are `_enum`, `_default`, … in the model).
 */
export async function applyCrds(kubeconfigPath: string, timeoutMs = 60_000): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  const names: string[] = [];
  for (const file of readdirSync(CRD_DIR).filter((name) => name.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(CRD_DIR, file), 'utf8'))) {
      const name = (doc.toJS() as KubernetesObject | null)?.metadata?.name;
      if (name) names.push(name);
    }
  }
  await execFileAsync('kubectl', ['--kubeconfig', kubeconfigPath, 'apply', '--server-side', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`, '-f', CRD_DIR]);
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const crd: V1CustomResourceDefinition = await extensions.readCustomResourceDefinition({ name });
      const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      const observed = crd.status?.conditions?.every((c) => c.type !== 'NamesAccepted' || c.status === 'True');
      if (established && observed) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms: ${JSON.stringify(crd.status?.conditions)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Private control planes for disruptive tests.

export interface PrivateControlPlane {
  stateDir: string;
  kubeconfig: string;
  server: string;
  /** http://127.0.0.1:PORT of etcd (its HTTP/JSON gateway serves /v3/kv/...). */
  etcdEndpoint: string;
  apiserverPid(): number | null;
  etcdPid(): number | null;
  /** Stops kube-apiserver only (SIGTERM, SIGKILL after 15 s); etcd keeps running. */
  stopApiserver(): Promise<void>;
  /** Starts kube-apiserver again with exactly the command line it had, and waits for /readyz. */
  startApiserver(): Promise<void>;
  restartApiserver(): Promise<void>;
  /** Current etcd revision. */
  etcdRevision(): Promise<number>;
  /** Compacts etcd's history up to `revision` (default: the current one), physically. */
  compactEtcd(revision?: number): Promise<number>;
  /** Stops both daemons and removes the state directory. */
  destroy(): Promise<void>;
}

/**
 * Starts a second control plane in a temporary state directory (its own ports, certificates, etcd data),
 * applies the CRDs and returns handles to disrupt it. `apiserverArgs` become CLUSTER_APISERVER_ARGS; `crds: false`
 * leaves the CRDs out, for a Helm chart that installs them itself (it refuses objects it does not own).
 */
export async function startPrivateControlPlane(options: { apiserverArgs?: string; crds?: boolean } = {}): Promise<PrivateControlPlane> {
  const stateDir = mkdtempSync(join(tmpdir(), 'ci-remediator-cluster-'));
  const env: NodeJS.ProcessEnv = { ...process.env, CLUSTER_STATE_DIR: stateDir, CLUSTER_APISERVER_ARGS: options.apiserverArgs ?? '' };
  delete env.CLUSTER_APISERVER_PORT;
  delete env.CLUSTER_ETCD_PORT;
  delete env.CLUSTER_ETCD_PEER_PORT;
  try {
    await execFileAsync('bash', [join(CLUSTER_SCRIPTS, 'up.sh'), '--fresh'], { env, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    rmSync(stateDir, { recursive: true, force: true });
    throw new Error(`private control plane did not start: ${(error as { stderr?: string }).stderr ?? String(error)}`, { cause: error });
  }
  const info = JSON.parse(readFileSync(join(stateDir, 'cluster.json'), 'utf8')) as ClusterInfo;
  if (options.crds !== false) await applyCrds(info.kubeconfig);

  const pidOf = (name: string): number | null => {
    try {
      const pid = Number(readFileSync(join(stateDir, `${name}.pid`), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : null;
    } catch {
      return null;
    }
  };
  // The command line kube-apiserver was started with, kept so a restart reuses it exactly.
  const apiserverArgv = readFileSync(`/proc/${pidOf('kube-apiserver')}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');

  const stopApiserver = async (): Promise<void> => {
    const pid = pidOf('kube-apiserver');
    if (pid === null) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (processAlive(pid)) {
      if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
      await delay(100);
    }
    rmSync(join(stateDir, 'kube-apiserver.pid'), { force: true });
  };
  const startApiserver = async (): Promise<void> => {
    if (pidOf('kube-apiserver') !== null) return;
    const [binary, ...args] = apiserverArgv;
    if (binary === undefined) throw new Error('no kube-apiserver command line recorded');
    const log = openSync(join(stateDir, 'kube-apiserver.log'), 'a');
    // Detached, as up.sh starts it: it outlives this test process if the test dies, and destroy() finds it
    // through the pid file.
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    closeSync(log);
    writeFileSync(join(stateDir, 'kube-apiserver.pid'), `${child.pid}\n`);
    await waitForReadyz(info, 120_000);
  };
  const etcdCall = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${info.etcdEndpoint}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`etcd ${path}: HTTP ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const etcdRevision = async (): Promise<number> => {
    // A range read of one key returns the store's current revision in its header.
    const result = await etcdCall('/v3/kv/range', { key: Buffer.from('/registry/health-probe').toString('base64') });
    return Number((result.header as { revision?: string }).revision);
  };

  return {
    stateDir,
    kubeconfig: info.kubeconfig,
    server: info.server,
    etcdEndpoint: info.etcdEndpoint,
    apiserverPid: () => pidOf('kube-apiserver'),
    etcdPid: () => pidOf('etcd'),
    stopApiserver,
    startApiserver,
    restartApiserver: async () => {
      await stopApiserver();
      await startApiserver();
    },
    etcdRevision,
    compactEtcd: async (revision?: number) => {
      const target = revision ?? (await etcdRevision());
      await etcdCall('/v3/kv/compaction', { revision: String(target), physical: true });
      return target;
    },
    destroy: async () => {
      try {
        await execFileAsync('bash', [join(CLUSTER_SCRIPTS, 'down.sh'), '--purge'], { env: { ...env, CLUSTER_STOP_TIMEOUT: '10' } });
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
  };
}

async function waitForReadyz(info: ClusterInfo, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const status = await new Promise<number>((resolve) => {
        // curl with the cluster CA: anonymous requests may read /readyz.
        execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', info.caFile, `${info.server}/readyz`], (error, stdout) =>
          resolve(error ? 0 : Number(stdout)),
        );
      });
      if (status === 200) return;
      last = `HTTP ${status}`;
    } catch (error) {
      last = String(error);
    }
    await delay(250);
  }
  throw new Error(`kube-apiserver at ${info.server} not ready after ${timeoutMs} ms (${last})`);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); its state in /proc says it is gone.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
