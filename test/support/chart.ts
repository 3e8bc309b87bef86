import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, type V1Container, type V1Deployment } from '@kubernetes/client-node';
import { REPO_ROOT } from './cluster-setup.ts';
import type { Kube } from './kube.ts';
import type { OperatorOptions } from './operator-process.ts';

/**
 * The Helm chart as a cluster administrator uses it, and its operator pod played by hand: the control plane the
 * tests use runs no kubelet, so the chart's pod never starts. `operatorFromDeployment` gives startOperator()
 * exactly what the kubelet would give the container (args with $(VAR) expanded, env with fieldRefs and Secret
 * values resolved from the cluster, Secret volumes written out as files, and args and env naming those files
 * rewritten to where they were written) and a TokenRequest token of the pod's
 * ServiceAccount, so every call the operator makes is judged by the chart's own RBAC. Shared by
 * test/integration/chart/ and the end-to-end run.
 */

const execFileAsync = promisify(execFile);

export const CHART_DIR = 'charts/ci-remediator';

/** The helm binary (v4, built once from the Go module proxy by scripts/tools/helm.sh; about 2 minutes cold). */
export async function helmBinary(): Promise<string> {
  const built = await execFileAsync('bash', [join(REPO_ROOT, 'scripts/tools/helm.sh'), '--path'], { maxBuffer: 16 * 1024 * 1024 });
  return built.stdout.trim().split('\n').at(-1)!;
}

/** Runs helm against `kubeconfig`; a failure carries helm's own output. */
export async function helm(binary: string, kubeconfig: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(binary, [...args, '--kubeconfig', kubeconfig], { cwd: REPO_ROOT, maxBuffer: 32 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    throw new Error(`helm ${args.join(' ')} failed:\n${failure.stdout ?? ''}${failure.stderr ?? String(error)}`, { cause: error });
  }
}

export interface PodRun {
  args: string[];
  env: Record<string, string>;
  serviceAccount: string;
}

/**
 * What the kubelet would hand the Deployment's `operator` container: a missing Secret or key fails here, as the
 * pod would fail to start. Secret volumes are written under `scratch`, and the args rewritten to point there.
 */
export async function podRun(admin: Kube, deployment: V1Deployment, podName: string, scratch: string): Promise<PodRun> {
  const pod = deployment.spec!.template.spec!;
  const container = pod.containers.find((candidate) => candidate.name === 'operator') as V1Container;
  const namespace = deployment.metadata!.namespace!;
  const secret = async (name: string, key: string): Promise<string> => {
    const object = await admin.core.readNamespacedSecret({ name, namespace });
    const value = object.data?.[key];
    if (value === undefined) throw new Error(`Secret ${namespace}/${name} has no key ${key}`);
    return Buffer.from(value, 'base64').toString('utf8');
  };
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    // An empty value comes back from the API server as no value at all.
    if (variable.valueFrom === undefined) env[variable.name] = variable.value ?? '';
    else if (variable.valueFrom.fieldRef?.fieldPath === 'metadata.name') env[variable.name] = podName;
    else if (variable.valueFrom.fieldRef?.fieldPath === 'metadata.namespace') env[variable.name] = namespace;
    else if (variable.valueFrom.secretKeyRef) env[variable.name] = await secret(variable.valueFrom.secretKeyRef.name!, variable.valueFrom.secretKeyRef.key);
    else throw new Error(`env ${variable.name}: a source this helper does not resolve: ${JSON.stringify(variable.valueFrom)}`);
  }
  const mounts = new Map<string, string>();
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.volumes?.find((candidate) => candidate.name === mount.name);
    if (volume?.secret === undefined) continue;
    const directory = join(scratch, podName, mount.name);
    mkdirSync(directory, { recursive: true });
    for (const item of volume.secret.items ?? []) writeFileSync(join(directory, item.path), await secret(volume.secret.secretName!, item.key));
    mounts.set(mount.mountPath, directory);
  }
  const args = (container.args ?? []).map((arg) => {
    let expanded = arg.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => env[name] ?? `$(${name})`);
    for (const [mountPath, directory] of mounts) expanded = expanded.replace(mountPath, directory);
    return expanded;
  });
  // A variable naming a file in a mounted Secret (OPENAI_API_KEY_FILE) points where the file was written.
  for (const [name, value] of Object.entries(env)) {
    for (const [mountPath, directory] of mounts) if (value.startsWith(`${mountPath}/`)) env[name] = directory + value.slice(mountPath.length);
  }
  return { args, env, serviceAccount: pod.serviceAccountName! };
}

/** A kubeconfig that authenticates as `serviceAccount`, with a token from the TokenRequest API. */
export async function serviceAccountKubeconfig(admin: Kube, namespace: string, serviceAccount: string, directory: string): Promise<string> {
  const request = await admin.core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = admin.kc.getCurrentCluster()!;
  if (!cluster.caData) throw new Error('the admin kubeconfig carries no inline CA');
  const path = join(directory, `${namespace}.${serviceAccount}.kubeconfig`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'chart', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } }],
    users: [{ name: serviceAccount, user: { token: request.status!.token } }],
    contexts: [{ name: 'chart', context: { cluster: 'chart', user: serviceAccount, namespace } }],
    'current-context': 'chart',
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/**
 * Flags startOperator() sets itself: it listens on 127.0.0.1 and free ports (the pod's fixed ports would collide
 * between replicas on one host), with the kubeconfig it is given.
 */
const HARNESS_FLAGS = /^--(identity|http-address|http-port|metrics-address|metrics-port|leader-elect)(=|$)/;

/**
 * startOperator() options for one replica of the chart's Deployment `name` in `namespace`, as pod `podName`,
 * authenticated as the Deployment's ServiceAccount (a kubeconfig written under `scratch`).
 */
export async function operatorFromDeployment(admin: Kube, namespace: string, name: string, podName: string, scratch: string): Promise<{ options: OperatorOptions; pod: PodRun; kubeconfig: string }> {
  const apps = admin.kc.makeApiClient(AppsV1Api);
  const pod = await podRun(admin, await apps.readNamespacedDeployment({ name, namespace }), podName, scratch);
  const kubeconfig = await serviceAccountKubeconfig(admin, namespace, pod.serviceAccount, scratch);
  if (pod.args[0] !== 'operator') throw new Error(`the Deployment's args do not start with 'operator': ${JSON.stringify(pod.args)}`);
  const watched = pod.env.CI_REMEDIATOR_WATCH_NAMESPACES ?? '';
  const options: OperatorOptions = {
    kubeconfig,
    // The harness always passes --namespace; an empty list means every namespace, as the empty variable does.
    namespaces: watched === '' ? [] : watched.split(','),
    databaseUrl: pod.env.CI_REMEDIATOR_DATABASE_URL!,
    identity: podName,
    extraArgs: pod.args.slice(1).filter((arg) => !HARNESS_FLAGS.test(arg)),
    env: pod.env,
  };
  return { options, pod, kubeconfig };
}
