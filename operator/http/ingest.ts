import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, type Registry } from 'prom-client';
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
  checkSignatureFormat,
  checkTimestamp,
  verifySignature,
} from '../../src/ingest/signature.ts';
import { validateSpecOrigin } from '../../src/ingest/spec-origin.ts';
import { describeSpecIssues, redactFailureRecordSpec } from '../../src/logs/redaction/failure-record-spec.ts';
import type { Logger } from '../runtime/logger.ts';
import { FIELD_MANAGER, type KubeClients } from '../runtime/kube.ts';
import { acceptJsonPost } from './json-post.ts';

/**
 * `POST /api/v1/failures`: the action's endpoint mode, for runners that cannot reach the Kubernetes API. A
 * request is checked in order of cost, and refused at the first failing check with a JSON body
 * `{ error, message }` that names what is wrong:
 *
 *   415 not JSON · 413 over 1.5 MiB (from Content-Length, or once that much was read) · 401 timestamp or
 *   signature header (`error` is the failed check; both headers are checked before the body is read, the
 *   HMAC after) · 503 `busy` when too many bodies or bytes are being read already · 408 a body not sent
 *   within the body timeout · 409 replay (this signed request was already received: a client
 *   re-signs each delivery, so only a replay repeats a signature) · 400 malformed JSON or an invalid spec
 *   (every problem, with its field path) · 403 a namespace this operator does not watch ·
 *   201 created / 200 already existed (`{ name, namespace, created }`) · 503 the API server did not answer.
 *
 * Before a record is created every text field of its spec goes through the redactor
 * (src/logs/redaction/failure-record-spec.ts): the spec is immutable, so this is the last moment a secret a
 * careless producer sent can be kept out of etcd.
 *
 * Unauthenticated work is bounded: at most `maxBodies` bodies and `maxBytesInFlight` bytes are read at once
 * (the signature can only be checked on the whole body), a body must arrive within `bodyTimeoutMs`, and the
 * server's own limits (operator/http/server.ts) bound connections and header time.
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
  /** Bodies read at once, before their signature could be checked (default 32). */
  maxBodies?: number;
  /** Bytes of those bodies held at once (default 8 MiB: five bodies of the largest size). */
  maxBytesInFlight?: number;
  /** Time a client has to send the whole body (default 10 s). */
  bodyTimeoutMs?: number;
  /** The web host job and run URLs must be on (default https://github.com). */
  githubWebUrl?: string;
}

export const DEFAULT_INGEST_LIMITS = Object.freeze({ maxBodies: 32, maxBytesInFlight: 8 * 1024 * 1024, bodyTimeoutMs: 10_000 });

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
  const maxBodies = options.maxBodies ?? DEFAULT_INGEST_LIMITS.maxBodies;
  const maxBytesInFlight = options.maxBytesInFlight ?? DEFAULT_INGEST_LIMITS.maxBytesInFlight;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_INGEST_LIMITS.bodyTimeoutMs;
  const githubWebUrl = options.githubWebUrl ?? 'https://github.com';
  const inFlight = { bodies: 0, bytes: 0 };

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
    if (!acceptJsonPost(request, response, { requests, refuse, maxBodyBytes })) return;
    // Both header checks are cheap and refuse stale, unsigned or garbled traffic before the body is read.
    try {
      checkTimestamp(header(request, TIMESTAMP_HEADER), now());
      checkSignatureFormat(header(request, SIGNATURE_HEADER));
    } catch (error) {
      if (error instanceof SignatureError) {
        // The body is never read: close instead of draining it.
        response.setHeader('connection', 'close');
        refuse(request, response, 401, error.reason, error.message);
        return;
      }
      throw error;
    }

    const declared = Number(request.headers['content-length']);
    if (inFlight.bodies >= maxBodies || (Number.isFinite(declared) && inFlight.bytes + declared > maxBytesInFlight)) {
      response.setHeader('connection', 'close');
      answer(response, 503, { error: 'busy', message: 'Too many reports are being received right now; retry shortly.' }, { 'retry-after': '1' });
      dropAfterAnswer(request, response);
      return;
    }
    inFlight.bodies += 1;
    readBounded(request, maxBodyBytes, inFlight, maxBytesInFlight, bodyTimeoutMs).then(
      (body) => {
        if (body === 'too-large') {
          response.setHeader('connection', 'close');
          refuse(request, response, 413, 'body-too-large', `The body must be at most ${maxBodyBytes} bytes.`);
          return;
        }
        if (body === 'busy') {
          response.setHeader('connection', 'close');
          answer(response, 503, { error: 'busy', message: 'Too many bytes are being received right now; retry shortly.' }, { 'retry-after': '1' });
          dropAfterAnswer(request, response);
          return;
        }
        if (body === 'timeout') {
          response.setHeader('connection', 'close');
          refuse(request, response, 408, 'body-timeout', `The body was not received within ${bodyTimeoutMs / 1000} s.`);
          dropAfterAnswer(request, response);
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
      // The sentences quote values, which may be secrets: they go to the log and back to the client redacted.
      const details = await describeSpecIssues(parsed.error.issues, input);
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

    const origin = validateSpecOrigin(parsed.data.spec, githubWebUrl);
    if (origin.length > 0) {
      refuse(request, response, 400, 'invalid-spec', `The failure report is invalid: ${origin.slice(0, 5).join('; ')}`, { details: origin });
      return;
    }
    // The spec is immutable once created: redact now or never.
    const { spec, redactions } = await redactFailureRecordSpec(parsed.data.spec);
    if (Object.keys(redactions).length > 0) log.warn({ redactions, repository: spec.repository }, 'ingest: the report carried secrets; they were redacted before the record was created');
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

/** Closes the connection once the answer is out: the rest of an unread body is not worth receiving. */
function dropAfterAnswer(request: IncomingMessage, response: ServerResponse): void {
  if (response.writableFinished) request.destroy();
  else response.once('finish', () => request.destroy());
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

type BodyOutcome = Buffer | 'too-large' | 'busy' | 'timeout';

/**
 * The body, or why it was not read whole: over `max` bytes, over the endpoint's bytes in flight, or not
 * received within `timeoutMs`. The rest is never read, and the bytes held are given back on every path.
 */
function readBounded(request: IncomingMessage, max: number, inFlight: { bodies: number; bytes: number }, maxBytesInFlight: number, timeoutMs: number): Promise<BodyOutcome> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (outcome: BodyOutcome | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted).off('close', onClose);
      inFlight.bodies -= 1;
      inFlight.bytes -= size;
      if (!(outcome instanceof Buffer)) chunks = [];
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      inFlight.bytes += chunk.length;
      if (size > max) {
        request.pause();
        finish('too-large');
        return;
      }
      if (inFlight.bytes > maxBytesInFlight) {
        request.pause();
        finish('busy');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(Buffer.concat(chunks, size));
    const onError = (error: Error): void => finish(error);
    const onAborted = (): void => finish(new Error('the client closed the connection'));
    const onClose = (): void => finish(new Error('the connection closed before the body ended'));
    const timer = setTimeout(() => {
      request.pause();
      finish('timeout');
    }, timeoutMs);
    request.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted).on('close', onClose);
  });
}
