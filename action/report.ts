import { existsSync, readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { API_GROUP } from '../src/api/common.ts';
import { failureRecordName, type FailureRecordSpec } from '../src/api/failure-record.ts';
import { apiErrorMessage, describeApiError, statusCodeOf } from '../src/api/kube-errors.ts';
import { CiRemediatorError, errorMessage } from '../src/errors.ts';
import { createFailureRecord, type IngestResponse } from '../src/ingest/ingest-request.ts';
import { signedHeaders } from '../src/ingest/signature.ts';
import type { KubeconfigSource } from './inputs.ts';

/**
 * Where the record goes: the Kubernetes API (mode `kubernetes`) or the operator's signed ingest endpoint
 * (mode `endpoint`). Both are idempotent: the record's name is deterministic, so a second report of the same
 * failure (a retried request, a re-run reporter) answers with the existing record instead of a duplicate.
 * Transient failures (network, 5xx, 429) are retried a few times; anything else is final.
 */

class ReportDeliveryError extends CiRemediatorError {
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
  const name = failureRecordName(spec.repository, spec.workflow.runId, spec.workflow.runAttempt);
  return withRetries(
    async () => {
      try {
        return await createFailureRecord(api, spec, target.namespace, FIELD_MANAGER);
      } catch (error) {
        throw new AttemptFailed(kubeReason(error, target.namespace), statusCodeOf(error), { cause: error });
      }
    },
    { ...retry, doing: 'Creating the FailureRecord', failure: `Could not create FailureRecord ${target.namespace}/${name}` },
  );
}

function kubeReason(error: unknown, namespace: string): string {
  const status = statusCodeOf(error);
  const message = apiErrorMessage(error);
  if (status === 401) return 'the Kubernetes API refused the credentials (401); check the kubeconfig';
  if (status === 403) {
    return `forbidden (403): the kubeconfig's user may not create failurerecords.${API_GROUP} in '${namespace}'. Grant it with a Role (verbs: create). ${message}`;
  }
  if (status === 404) return `not found (404): is namespace '${namespace}' there and the FailureRecord CRD installed? ${message}`;
  if (status === undefined) return `the Kubernetes API did not answer: ${firstLine(errorMessage(error))}`;
  return describeApiError(error);
}

// -------------------------------------------------------------------------------------------- endpoint

interface EndpointTarget {
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
  const send = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const where = `${target.url.origin}${target.url.pathname}`;
  const deliver = async (): Promise<Delivered> => {
    let response: Response;
    let status: number | undefined;
    let text: string;
    try {
      response = await send(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'ci-remediator-action', ...signedHeaders(body, target.secret, now()) },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new AttemptFailed(`${where} did not answer: ${firstLine(errorMessage(error))}${causeOf(error)}`, status);
    }
    const answer = parseJson(text);
    if (status === 200 || status === 201) {
      if (typeof answer?.name !== 'string' || typeof answer.namespace !== 'string') {
        throw new ReportDeliveryError(`${where} answered ${status} without a record name: ${text.slice(0, 200)}`);
      }
      return { name: answer.name, namespace: answer.namespace, created: status === 201 };
    }
    const reason = `${where} answered ${status}${answer?.error ? ` ${String(answer.error)}` : ''}: ${typeof answer?.message === 'string' ? answer.message : text.slice(0, 300)}`;
    throw new AttemptFailed(reason, status, { retryAfterMs: retryAfter(response.headers.get('retry-after')) });
  };
  // At least a second between attempts: a new signature needs a new timestamp.
  return withRetries(deliver, { ...options, doing: 'Delivering the FailureRecord', failure: 'Could not deliver the FailureRecord', minDelayMs: 1000 });
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

/** One attempt failed; `status` (undefined: no answer at all) decides whether another may succeed. */
class AttemptFailed extends Error {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(reason: string, status: number | undefined, options: { cause?: unknown; retryAfterMs?: number | undefined } = {}) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Runs `attempt` until it succeeds, throws anything but AttemptFailed (final), fails in a way that will not
 * pass on its own, or has run `attempts` times; waits between attempts (retry-after, else exponential
 * backoff). The last failure becomes a ReportDeliveryError: `${failure}: ${reason}`.
 */
async function withRetries<T>(
  attempt: () => Promise<T>,
  options: RetryOptions & { doing: string; failure: string; minDelayMs?: number },
): Promise<T> {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const sleep = options.sleep ?? sleepFor;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof AttemptFailed)) throw error;
      if (!transient(error.status) || n >= attempts) {
        throw new ReportDeliveryError(`${options.failure}: ${error.message}`, error.cause === undefined ? undefined : { cause: error.cause });
      }
      core.info(`${options.doing} failed (${error.message}); retrying (attempt ${n + 1} of ${attempts}).`);
      await sleep(Math.max(options.minDelayMs ?? 0, error.retryAfterMs ?? backoffMs(n)));
    }
  }
}

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
