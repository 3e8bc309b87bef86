import { existsSync, readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../src/api/common.ts';
import type { FailureRecordSpec } from '../src/api/failure-record.ts';
import { CiRemediatorError, errorMessage } from '../src/errors.ts';
import { FAILURE_RECORD_PLURAL, failureRecordObject, type IngestResponse } from '../src/ingest/ingest-request.ts';
import { signedHeaders } from '../src/ingest/signature.ts';
import type { KubeconfigSource } from './inputs.ts';

/**
 * Where the record goes: the Kubernetes API (mode `kubernetes`) or the operator's signed ingest endpoint
 * (mode `endpoint`). Both are idempotent: the record's name is deterministic, so a second report of the same
 * failure (a retried request, a re-run reporter) answers with the existing record instead of a duplicate.
 * Transient failures (network, 5xx, 429) are retried a few times; anything else is final.
 */

export class ReportDeliveryError extends CiRemediatorError {
  override readonly code = 'REPORT_NOT_DELIVERED';
}

export type Delivered = IngestResponse;

export interface RetryOptions {
  attempts?: number;
  /** For tests; the default really waits. */
  sleep?: (ms: number) => Promise<void>;
}

const FIELD_MANAGER = 'ci-remediator-action';
const IN_CLUSTER_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const DEFAULT_ATTEMPTS = 4;
const MAX_RETRY_AFTER_MS = 30_000;
const REQUEST_TIMEOUT_MS = 30_000;
const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------------------------------ kubernetes

/** Loads the kubeconfig and masks every credential in it before anything can print one. */
export function loadKubeconfig(source: KubeconfigSource, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (source.kind === 'content') kc.loadFromString(source.content);
    else if (source.kind === 'file') kc.loadFromFile(source.path);
    else if (env.KUBERNETES_SERVICE_HOST !== undefined) kc.loadFromCluster();
    else throw new Error("no kubeconfig given and this runner is not in a cluster (KUBERNETES_SERVICE_HOST is not set); pass the 'kubeconfig' input");
  } catch (error) {
    // The parser's message may quote the document: it must not reach the log before the masking below.
    throw new ReportDeliveryError(`Cannot load the kubeconfig: ${firstLine(errorMessage(error))}`, { cause: error });
  }
  for (const user of kc.getUsers()) {
    for (const secret of [user.token, user.password, user.keyData]) if (secret) core.setSecret(secret);
    const provider = (user.authProvider as { config?: Record<string, unknown> } | undefined)?.config ?? {};
    for (const key of ['access-token', 'id-token', 'refresh-token', 'client-secret']) {
      const value = provider[key];
      if (typeof value === 'string' && value !== '') core.setSecret(value);
    }
  }
  if (kc.getCurrentCluster() === null) throw new ReportDeliveryError('The kubeconfig has no current cluster (check current-context).');
  return kc;
}

/** The input, else the current context's namespace, else the service account's (in a cluster). */
export function resolveNamespace(kc: KubeConfig, explicit: string | undefined): string {
  if (explicit !== undefined) return explicit;
  const context = kc.getContextObject(kc.getCurrentContext());
  if (context?.namespace) return context.namespace;
  if (existsSync(IN_CLUSTER_NAMESPACE)) return readFileSync(IN_CLUSTER_NAMESPACE, 'utf8').trim();
  throw new ReportDeliveryError("No namespace: set the 'namespace' input, or a namespace on the kubeconfig's current context.");
}

export async function createInKubernetes(
  spec: FailureRecordSpec,
  target: { kubeconfig: KubeConfig; namespace: string },
  retry: RetryOptions = {},
): Promise<Delivered> {
  const api = target.kubeconfig.makeApiClient(CustomObjectsApi);
  const object = failureRecordObject(spec, target.namespace);
  const { name } = object.metadata;
  const attempts = retry.attempts ?? DEFAULT_ATTEMPTS;
  const sleep = retry.sleep ?? sleepFor;
  for (let attempt = 1; ; attempt++) {
    try {
      await api.createNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural: FAILURE_RECORD_PLURAL,
        namespace: target.namespace,
        body: object,
        fieldManager: FIELD_MANAGER,
      });
      return { name, namespace: target.namespace, created: true };
    } catch (error) {
      const status = statusOf(error);
      if (status === 409) return { name, namespace: target.namespace, created: false };
      const reason = kubeReason(error, target.namespace);
      if (!transient(status) || attempt >= attempts) {
        throw new ReportDeliveryError(`Could not create FailureRecord ${target.namespace}/${name}: ${reason}`, { cause: error });
      }
      core.info(`Creating the FailureRecord failed (${reason}); retrying (attempt ${attempt + 1} of ${attempts}).`);
      await sleep(backoffMs(attempt));
    }
  }
}

function kubeReason(error: unknown, namespace: string): string {
  const status = statusOf(error);
  const message = apiMessage(error);
  if (status === 401) return 'the Kubernetes API refused the credentials (401); check the kubeconfig';
  if (status === 403) {
    return `forbidden (403): the kubeconfig's user may not create failurerecords.${API_GROUP} in '${namespace}'. Grant it with a Role (verbs: create). ${message}`;
  }
  if (status === 404) return `not found (404): is namespace '${namespace}' there and the FailureRecord CRD installed? ${message}`;
  if (status === undefined) return `the Kubernetes API did not answer: ${firstLine(errorMessage(error))}`;
  return `${status}: ${message}`;
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 300);
    } catch {
      return body.slice(0, 300);
    }
  }
  return firstLine(errorMessage(error));
}

// -------------------------------------------------------------------------------------------- endpoint

export interface EndpointTarget {
  url: URL;
  secret: string;
  namespace?: string;
}

/** POSTs `{ namespace?, spec }`, signed afresh for every attempt (the operator refuses a repeated signature). */
export async function postToEndpoint(
  spec: FailureRecordSpec,
  target: EndpointTarget,
  options: RetryOptions & { fetch?: typeof fetch; now?: () => Date } = {},
): Promise<Delivered> {
  const body = JSON.stringify({ ...(target.namespace !== undefined && { namespace: target.namespace }), spec });
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const sleep = options.sleep ?? sleepFor;
  const send = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const where = `${target.url.origin}${target.url.pathname}`;
  for (let attempt = 1; ; attempt++) {
    let status: number | undefined;
    let reason: string;
    let retryAfterMs: number | undefined;
    try {
      const response = await send(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'ci-remediator-action', ...signedHeaders(body, target.secret, now()) },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      status = response.status;
      const text = await response.text();
      const answer = parseJson(text);
      if (status === 200 || status === 201) {
        if (typeof answer?.name !== 'string' || typeof answer.namespace !== 'string') {
          throw new ReportDeliveryError(`${where} answered ${status} without a record name: ${text.slice(0, 200)}`);
        }
        return { name: answer.name, namespace: answer.namespace, created: status === 201 };
      }
      reason = `${where} answered ${status}${answer?.error ? ` ${String(answer.error)}` : ''}: ${typeof answer?.message === 'string' ? answer.message : text.slice(0, 300)}`;
      retryAfterMs = retryAfter(response.headers.get('retry-after'));
    } catch (error) {
      if (error instanceof ReportDeliveryError) throw error;
      reason = `${where} did not answer: ${firstLine(errorMessage(error))}${causeOf(error)}`;
    }
    if (!transient(status) || attempt >= attempts) throw new ReportDeliveryError(`Could not deliver the FailureRecord: ${reason}`);
    core.info(`Delivering the FailureRecord failed (${reason}); retrying (attempt ${attempt + 1} of ${attempts}).`);
    // At least a second: a new signature needs a new timestamp.
    await sleep(Math.max(1000, retryAfterMs ?? backoffMs(attempt)));
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function retryAfter(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Number(header.trim()) * 1000);
}

// ---------------------------------------------------------------------------------------------- shared

/** No status (the network), 5xx and 429 may pass on their own; other answers will not change. */
function transient(status: number | undefined): boolean {
  return status === undefined || status === 429 || status >= 500;
}

function backoffMs(attempt: number): number {
  return 1000 * 2 ** (attempt - 1);
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? text).slice(0, 500);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause instanceof Error ? ` (${cause.message})` : '';
}
