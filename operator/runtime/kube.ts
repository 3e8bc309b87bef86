import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../../src/api/common.ts';
import { describeApiError, statusCodeOf } from '../../src/api/kube-errors.ts';

/** The one field manager every write of ours uses, so `kubectl get -o yaml --show-managed-fields` names us. */
export const FIELD_MANAGER = 'ci-remediator-operator';

export interface KubeClients {
  config: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
}

export class KubeConfigError extends Error {
  readonly code = 'KUBECONFIG_INVALID';
}

/** From `path` (flag or KUBECONFIG), else in-cluster (the ServiceAccount token and the service env vars). */
export function loadKubeConfig(path: string | undefined, env: NodeJS.ProcessEnv): KubeConfig {
  const config = new KubeConfig();
  try {
    if (path !== undefined) config.loadFromFile(path);
    else if (env.KUBERNETES_SERVICE_HOST !== undefined) config.loadFromCluster();
    else throw new Error('no kubeconfig: pass --kubeconfig or set KUBECONFIG, or run in a cluster');
  } catch (error) {
    throw new KubeConfigError(`Cannot load the Kubernetes configuration: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (config.getCurrentCluster() === null) throw new KubeConfigError('The kubeconfig has no current cluster (check current-context).');
  poolConnections(config);
  return config;
}

/**
 * client-node 1.4 builds a new https.Agent for every request, so every API call pays a fresh TCP and TLS
 * handshake (with client certificates, a few ms of CPU on both ends). At a hundred records a second that is
 * most of the work. Reusing one keep-alive agent per set of TLS options keeps connections open; the
 * options include the certificate material, so a rotated client certificate gets a new agent.
 */
function poolConnections(config: KubeConfig): void {
  const agents = new Map<string, HttpsAgent>();
  const target = config as unknown as { createAgent: (cluster: unknown, options: AgentOptions) => unknown };
  const original = target.createAgent.bind(config);
  target.createAgent = (cluster: unknown, options: AgentOptions) => {
    const server = (cluster as { server?: string; proxyUrl?: string } | null)?.server ?? '';
    if (!server.startsWith('https:') || (cluster as { proxyUrl?: string }).proxyUrl !== undefined) return original(cluster, options);
    const key = [server, identity(options.ca), identity(options.cert), identity(options.key), options.rejectUnauthorized, options.servername].join('\u0000');
    let agent = agents.get(key);
    if (agent === undefined) {
      if (agents.size > 8) agents.clear();
      agent = new HttpsAgent({ ...options, keepAlive: true, maxSockets: 64, maxFreeSockets: 16 });
      agents.set(key, agent);
    }
    return agent;
  };
}

/**
 * The key part for TLS material. client-node builds the certificates as new Buffers for every request
 * (decoded from the kubeconfig, or read from their files), so identity cannot tell them apart, and
 * JSON-encoding a Buffer (as an array of numbers) for every request cost more CPU than the request itself.
 * Latin-1 maps bytes to characters one to one: the same content gives the same key, a rotated certificate
 * a new one (and so a new agent).
 */
function identity(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (Array.isArray(value)) return value.map(identity).join('\u0001');
  return String(value);
}

export function makeClients(config: KubeConfig): KubeClients {
  return {
    config,
    custom: config.makeApiClient(CustomObjectsApi),
    core: config.makeApiClient(CoreV1Api),
    coordination: config.makeApiClient(CoordinationV1Api),
  };
}

// Pure helpers about client-node's errors; they live in src/ so the action reads errors the same way.
export { describeApiError, statusCodeOf };

export const isConflict = (error: unknown): boolean => statusCodeOf(error) === 409;
export const isNotFound = (error: unknown): boolean => statusCodeOf(error) === 404;

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface ResourceRef {
  plural: string;
  namespace: string;
  name: string;
}

/**
 * Writes `status` through the status subresource, as a JSON merge patch carrying metadata.resourceVersion:
 * the API server treats that as a precondition and answers 409 Conflict when the object changed since we
 * read it, so a write based on a stale read is refused instead of overwriting someone else's update.
 */
export async function patchStatus<T extends KubernetesObject>(
  clients: KubeClients,
  ref: ResourceRef,
  resourceVersion: string,
  status: object,
): Promise<T> {
  return (await clients.custom.patchNamespacedCustomObjectStatus(
    {
      group: API_GROUP,
      version: API_VERSION,
      plural: ref.plural,
      namespace: ref.namespace,
      name: ref.name,
      body: { metadata: { resourceVersion }, status },
      fieldManager: FIELD_MANAGER,
    },
    MERGE_PATCH,
  )) as T;
}

/** Sets metadata.finalizers to exactly `finalizers`, with the same resourceVersion precondition. */
export async function patchFinalizers<T extends KubernetesObject>(
  clients: KubeClients,
  ref: ResourceRef,
  resourceVersion: string,
  finalizers: readonly string[],
): Promise<T> {
  return (await clients.custom.patchNamespacedCustomObject(
    {
      group: API_GROUP,
      version: API_VERSION,
      plural: ref.plural,
      namespace: ref.namespace,
      name: ref.name,
      body: { metadata: { resourceVersion, finalizers: [...finalizers] } },
      fieldManager: FIELD_MANAGER,
    },
    MERGE_PATCH,
  )) as T;
}

export async function listCustomObjects<T extends KubernetesObject>(
  clients: KubeClients,
  plural: string,
  namespace: string | undefined,
): Promise<{ items: T[]; metadata?: { resourceVersion?: string } }> {
  const base = { group: API_GROUP, version: API_VERSION, plural };
  const result: unknown =
    namespace === undefined
      ? await clients.custom.listClusterCustomObject(base)
      : await clients.custom.listNamespacedCustomObject({ ...base, namespace });
  return result as { items: T[]; metadata?: { resourceVersion?: string } };
}

export function watchPath(plural: string, namespace: string | undefined): string {
  return namespace === undefined
    ? `/apis/${API_GROUP}/${API_VERSION}/${plural}`
    : `/apis/${API_GROUP}/${API_VERSION}/namespaces/${namespace}/${plural}`;
}

/** Drops managedFields (often larger than the object itself) before an object enters a cache. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What every cached object can do without: managedFields and kubectl's last-applied copy of the object
 * are bookkeeping for writers, often larger than the object itself, and nothing here reads them.
 */
export function withoutManagedFields<T extends KubernetesObject>(object: T): T {
  const metadata = object.metadata;
  if (metadata === undefined || (metadata.managedFields === undefined && metadata.annotations?.[LAST_APPLIED] === undefined)) return object;
  const { managedFields: _dropped, ...kept } = metadata;
  if (kept.annotations?.[LAST_APPLIED] !== undefined) {
    const { [LAST_APPLIED]: _lastApplied, ...annotations } = kept.annotations;
    kept.annotations = annotations;
  }
  return { ...object, metadata: kept };
}
