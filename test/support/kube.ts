import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type KubeConfig,
  type CoreV1Event,
  type V1Lease,
} from '@kubernetes/client-node';
import { loadKubeConfig } from '../../operator/runtime/kube.ts';
import { NO_CLUSTER_ENV, REPO_ROOT } from './cluster-setup.ts';

/**
 * Clients for the test control plane, one namespace per test file, and `eventually()`: tests wait for what a
 * user would see, never for a fixed time.
 */

export const GROUP = 'ci-remediator.dev';
export const VERSION = 'v1alpha1';
export const RECORDS = 'failurerecords';
export const POLICIES = 'remediationpolicies';

export interface Kube {
  kubeconfig: string;
  kc: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
  events: EventsV1Api;
}

/** The tests' shared control plane's admin kubeconfig (set by globalSetup), or `.cluster-test/kubeconfig`. */
export function sharedKubeconfig(): string {
  if (process.env[NO_CLUSTER_ENV] === '1') {
    throw new Error('this run skipped the control plane (only unit/property paths were selected); run the file by its own path');
  }
  const path = process.env.KUBECONFIG ?? join(REPO_ROOT, '.cluster-test', 'kubeconfig');
  if (!existsSync(path)) throw new Error(`no kubeconfig at ${path}: run the suite through jest (globalSetup starts the tests' control plane in .cluster-test/)`);
  return path;
}

export function kube(kubeconfig: string = sharedKubeconfig()): Kube {
  // The operator's loader, so tests and benchmarks reuse keep-alive connections as the operator does
  // instead of paying a TLS handshake (an RSA signature on kube-apiserver's side) for every request.
  const kc = loadKubeConfig(kubeconfig, {});
  return {
    kubeconfig,
    kc,
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    coordination: kc.makeApiClient(CoordinationV1Api),
    events: kc.makeApiClient(EventsV1Api),
  };
}

/** A fresh namespace with a random suffix. Never deleted: without a namespace controller it would stay Terminating. */
export async function createNamespace(k: Kube, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`.slice(0, 63);
  await k.core.createNamespace({ body: { metadata: { name, labels: { 'ci-remediator.dev/test': 'true' } } } });
  return name;
}

export { eventually, type EventuallyOptions } from './eventually.ts';

/** The HTTP status of a failed API call (ApiException.code), or undefined for anything else. */
export function statusCode(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The Status object (reason, message, details.causes) of a failed API call. */
export function statusBody(error: unknown): { reason?: string; message?: string; details?: { causes?: Array<{ field?: string; message?: string }> } } {
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as ReturnType<typeof statusBody>;
    } catch {
      return { message: body };
    }
  }
  return (body ?? {}) as ReturnType<typeof statusBody>;
}

/** Runs `call`, expecting the API server to refuse it; returns the HTTP status and the Status body. */
export async function rejection(call: () => Promise<unknown>): Promise<{ code: number | undefined } & ReturnType<typeof statusBody>> {
  try {
    await call();
  } catch (error) {
    if (statusCode(error) === undefined) throw error;
    return { code: statusCode(error), ...statusBody(error) };
  }
  throw new Error('the API server accepted a request it should have refused');
}

export async function isNotFound(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return false;
  } catch (error) {
    if (statusCode(error) === 404) return true;
    throw error;
  }
}

// ----------------------------------------------------------------------------------------------- objects

/** A custom object as the tests read it: loosely typed on purpose, since they check what the API returns. */
export interface CustomObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; generation?: number; resourceVersion?: string; finalizers?: string[]; deletionTimestamp?: string; creationTimestamp?: string };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export async function getObject(k: Kube, plural: string, namespace: string, name: string): Promise<CustomObject> {
  return (await k.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace, name })) as CustomObject;
}

export async function listObjects(k: Kube, plural: string, namespace: string): Promise<CustomObject[]> {
  const list = (await k.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace })) as { items: CustomObject[] };
  return list.items;
}

export async function createObject(k: Kube, plural: string, namespace: string, body: object): Promise<CustomObject> {
  return (await k.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace, body })) as CustomObject;
}

/** Events about one object (core/v1 Events, which is what `kubectl describe` shows). */
export async function eventsFor(k: Kube, namespace: string, uid: string): Promise<CoreV1Event[]> {
  const list = await k.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.uid=${uid}` });
  const events = [...list.items];
  // Events written through events.k8s.io/v1 are visible in core/v1 too; nothing else to merge.
  return events;
}

export async function readLease(k: Kube, namespace: string, name: string): Promise<V1Lease | null> {
  try {
    return await k.coordination.readNamespacedLease({ namespace, name });
  } catch (error) {
    if (statusCode(error) === 404) return null;
    throw error;
  }
}

/**
 * Runs `work` over `items` with at most `limit` in flight: creating many objects at once without opening
 * hundreds of connections.
 */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}
