import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import { describeIssues } from '../../src/api/common.ts';
import { failureRecordName } from '../../src/api/failure-record.ts';
import { describeApiError, statusCodeOf } from '../../src/api/kube-errors.ts';
import { errorMessage } from '../../src/errors.ts';
import {
  IngestRequest,
  MAX_INGEST_BODY_BYTES,
  createFailureRecord,
  type IngestResponse,
} from '../../src/ingest/ingest-request.ts';
import {
  ReplayCache,
  ReplayCacheFullError,
  ReplayedRequestError,
  SIGNATURE_HEADER,
  SignatureError,
  TIMESTAMP_HEADER,
  checkTimestamp,
  verifySignature,
} from '../../src/ingest/signature.ts';
import type { Logger } from '../runtime/logger.ts';
import { FIELD_MANAGER, type KubeClients } from '../runtime/kube.ts';

/**
 * `POST /api/v1/failures`: the action's endpoint mode, for runners that cannot reach the Kubernetes API. A
 * request is checked in order of cost, and refused at the first failing check with a JSON body
 * `{ error, message }` that names what is wrong:
 *
 *   415 not JSON · 413 over 1.5 MiB (from Content-Length, or once that much was read) · 401 timestamp or
 *   signature (`error` is the failed check) · 409 replay (this signed request was already received: a client
 *   re-signs each delivery, so only a replay repeats a signature) · 400 malformed JSON or an invalid spec
 *   (every problem, with its field path) · 403 a namespace this operator does not watch ·
 *   201 created / 200 already existed (`{ name, namespace, created }`) · 503 the API server did not answer.
 *
 * Any replica can serve it: creating a record needs no lease, and the record's name is deterministic, so the
 * same failure reported twice (or replayed to another replica, whose replay cache never saw it) is one record.
 */

export interface IngestOptions {
  secret: string;
  clients: KubeClients;
  /** Watched namespaces; empty means all. A record may only go where this operator will reconcile it. */
  namespaces: readonly string[];
  /** Where a request without a namespace goes; such requests are refused when there is none. */
  defaultNamespace: string | undefined;
  log: Logger;
  registry?: Registry;
  now?: () => Date;
  maxBodyBytes?: number;
}

export type IngestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** Seconds a client should wait before retrying a 503. */
const RETRY_AFTER_SECONDS = 5;

export function createIngestHandler(options: IngestOptions): IngestHandler {
  const now = options.now ?? (() => new Date());
  const maxBodyBytes = options.maxBodyBytes ?? MAX_INGEST_BODY_BYTES;
  const replays = new ReplayCache();
  const requests = new Counter({
    name: 'ci_remediator_ingest_requests_total',
    help: 'Requests to POST /api/v1/failures, by HTTP status code.',
    labelNames: ['code'] as const,
    registers: options.registry === undefined ? [] : [options.registry],
  });
  const { log } = options;

  const answer = (response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void => {
    requests.inc({ code: String(status) });
    if (response.headersSent) return;
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(`${JSON.stringify(body)}\n`);
  };
  const refuse = (request: IncomingMessage, response: ServerResponse, status: number, error: string, message: string, extra: object = {}): void => {
    log.info({ status, error, remote: request.socket.remoteAddress }, `ingest request refused: ${message}`);
    answer(response, status, { error, message, ...extra });
  };

  return (request, response) => {
    if (request.method !== 'POST') {
      requests.inc({ code: '405' });
      response.writeHead(405, { allow: 'POST', 'content-type': 'application/json' }).end('{"error":"method-not-allowed","message":"Use POST."}\n');
      return;
    }
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType !== 'application/json') {
      refuse(request, response, 415, 'unsupported-media-type', `Content-Type must be application/json (got '${mediaType || 'none'}').`);
      return;
    }
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      // Refused before a byte of the body is read; the connection closes instead of draining the rest.
      response.setHeader('connection', 'close');
      refuse(request, response, 413, 'body-too-large', `The body must be at most ${maxBodyBytes} bytes (Content-Length says ${declared}).`);
      return;
    }
    // The timestamp check is cheap and refuses most stale or unsigned traffic before the body is read.
    const timestampHeader = header(request, TIMESTAMP_HEADER);
    try {
      checkTimestamp(timestampHeader, now());
    } catch (error) {
      if (error instanceof SignatureError) {
        refuse(request, response, 401, error.reason, error.message);
        return;
      }
      throw error;
    }

    readBounded(request, maxBodyBytes).then(
      (body) => {
        if (body === undefined) {
          response.setHeader('connection', 'close');
          refuse(request, response, 413, 'body-too-large', `The body must be at most ${maxBodyBytes} bytes.`);
          return;
        }
        handleBody(request, response, body).catch((error: unknown) => {
          log.error({ err: errorMessage(error) }, 'ingest request failed');
          answer(response, 500, { error: 'internal-error', message: 'The request could not be handled; see the operator log.' });
        });
      },
      (error: unknown) => {
        log.info({ err: errorMessage(error) }, 'ingest request aborted while reading the body');
        if (!response.headersSent) refuse(request, response, 400, 'body-unreadable', 'The body could not be read.');
      },
    );
  };

  async function handleBody(request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<void> {
    const signature = header(request, SIGNATURE_HEADER);
    let timestamp: number;
    try {
      timestamp = verifySignature({ body, secret: options.secret, timestamp: header(request, TIMESTAMP_HEADER), signature, now: now() });
      replays.remember(signature!, timestamp, now());
    } catch (error) {
      if (error instanceof SignatureError) refuse(request, response, 401, error.reason, error.message);
      else if (error instanceof ReplayedRequestError) refuse(request, response, 409, 'replayed', error.message);
      else if (error instanceof ReplayCacheFullError) {
        log.warn({}, error.message);
        answer(response, 503, { error: 'busy', message: error.message }, { 'retry-after': String(RETRY_AFTER_SECONDS) });
      } else throw error;
      return;
    }

    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch (error) {
      refuse(request, response, 400, 'malformed-json', `The body is not valid JSON: ${errorMessage(error)}`);
      return;
    }
    const parsed = IngestRequest.safeParse(input);
    if (!parsed.success) {
      const details = describeIssues(parsed.error.issues, input);
      refuse(request, response, 400, 'invalid-spec', `The failure report is invalid: ${details.slice(0, 5).join('; ')}`, { details });
      return;
    }
    const namespace = parsed.data.namespace ?? options.defaultNamespace;
    if (namespace === undefined) {
      refuse(request, response, 400, 'namespace-required', 'The request names no namespace and this operator has no default (set --ingest-namespace).');
      return;
    }
    if (options.namespaces.length > 0 && !options.namespaces.includes(namespace)) {
      refuse(request, response, 403, 'namespace-not-watched', `This operator does not watch namespace '${namespace}'; it watches ${options.namespaces.join(', ')}.`);
      return;
    }

    const { spec } = parsed.data;
    const name = failureRecordName(spec.repository, spec.workflow.runId, spec.workflow.runAttempt);
    let result: IngestResponse;
    try {
      result = await createFailureRecord(options.clients.custom, spec, namespace, FIELD_MANAGER);
    } catch (error) {
      const status = statusCodeOf(error);
      // Nothing was created: let the client resend the same signed request.
      replays.forget(signature!);
      if (status === undefined || status >= 500 || status === 429) {
        log.warn({ err: describeApiError(error), name, namespace }, 'ingest: the API server did not answer');
        answer(
          response,
          503,
          { error: 'api-server-unavailable', message: `The Kubernetes API server did not accept the record: ${describeApiError(error)}` },
          { 'retry-after': String(RETRY_AFTER_SECONDS) },
        );
      } else if (status === 401 || status === 403) {
        log.error({ err: describeApiError(error), namespace }, 'ingest: the operator may not create FailureRecords');
        answer(response, 500, { error: 'forbidden-by-rbac', message: `The operator may not create FailureRecords in '${namespace}'.` });
      } else {
        refuse(request, response, 422, 'rejected-by-api-server', `The API server refused the record: ${describeApiError(error)}`);
      }
      return;
    }
    if (!result.created) {
      log.info({ name, namespace }, 'ingest: record already exists');
      answer(response, 200, result);
      return;
    }
    log.info({ name, namespace, repository: spec.repository }, 'ingest: record created');
    answer(response, 201, result);
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The body, or undefined as soon as it exceeds `max` bytes (the rest is never read). */
function readBounded(request: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        request.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      request.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
    };
    const onAborted = (): void => onError(new Error('the client closed the connection'));
    request.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}
