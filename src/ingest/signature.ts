import { createHmac, timingSafeEqual } from 'node:crypto';
import { CiRemediatorError } from '../errors.ts';

/**
 * Signed requests to the operator's ingest endpoint (`POST /api/v1/failures`), the scheme GitHub and Slack
 * webhooks use: HMAC-SHA256 over `${timestamp}.${body}` with a shared secret, the timestamp (unix seconds) in
 * one header and `sha256=<hex>` in another. Signing the timestamp with the body means a captured request
 * cannot be re-dated; the 5-minute window bounds how long it can be replayed at all, and the replay cache
 * refuses a second delivery inside the window.
 *
 * The action signs, the operator verifies; both import this module, so the two cannot disagree on the format.
 */

export const TIMESTAMP_HEADER = 'x-ci-remediator-timestamp';
export const SIGNATURE_HEADER = 'x-ci-remediator-signature';
const PREFIX = 'sha256=';
/** How far a timestamp may be from the verifier's clock, in either direction (clock skew, queueing). */
export const SIGNATURE_WINDOW_SECONDS = 300;
/**
 * The shortest shared secret: long enough that guessing it is not an attack. The operator refuses to start
 * with a shorter one, and the action refuses one before sending anything.
 */
export const MIN_SECRET_LENGTH = 16;

/** Why a request's signature was refused; stable strings for the error body and the logs. */
export const SIGNATURE_FAILURES = [
  'missing-timestamp',
  'invalid-timestamp',
  'timestamp-outside-window',
  'missing-signature',
  'invalid-signature-format',
  'signature-mismatch',
] as const;
export type SignatureFailure = (typeof SIGNATURE_FAILURES)[number];

/** The request is not signed by a holder of the secret, or not now. `reason` says which check failed. */
export class SignatureError extends CiRemediatorError {
  override readonly code = 'SIGNATURE_INVALID';
  readonly reason: SignatureFailure;

  constructor(reason: SignatureFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** The same signed request was seen before (inside the window): a replay, or a client that did not re-sign. */
export class ReplayedRequestError extends CiRemediatorError {
  override readonly code = 'SIGNATURE_REPLAYED';
}

/** The replay cache is full of live entries; refusing is the only answer that keeps replays out. */
export class ReplayCacheFullError extends CiRemediatorError {
  override readonly code = 'REPLAY_CACHE_FULL';
}

export type Secret = string | Uint8Array;
export type Body = string | Uint8Array;

/** `sha256=<hex>` for `body` signed at `timestamp` (unix seconds). */
export function signBody(body: Body, secret: Secret, timestamp: number): string {
  return PREFIX + hmac(body, secret, timestamp).toString('hex');
}

/** Both headers for a request sent now. */
export function signedHeaders(body: Body, secret: Secret, now: Date): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signBody(body, secret, timestamp) };
}

export interface VerifyInput {
  /** The raw body bytes as received (re-serializing parsed JSON would not give the signed bytes back). */
  body: Body;
  secret: Secret;
  /** The header values as received; undefined when absent. */
  timestamp: string | undefined;
  signature: string | undefined;
  now: Date;
  windowSeconds?: number;
}

/**
 * Parses the timestamp header and checks it lies within the window around `now`. Cheap, so the endpoint calls
 * it before reading a body it would refuse anyway.
 */
export function checkTimestamp(value: string | undefined, now: Date, windowSeconds = SIGNATURE_WINDOW_SECONDS): number {
  if (value === undefined || value.trim() === '') {
    throw new SignatureError('missing-timestamp', `The ${TIMESTAMP_HEADER} header is missing; it must carry the signing time in unix seconds.`);
  }
  if (!/^\d{1,12}$/.test(value.trim())) {
    throw new SignatureError('invalid-timestamp', `The ${TIMESTAMP_HEADER} header '${value.slice(0, 40)}' is not a unix time in seconds.`);
  }
  const timestamp = Number(value.trim());
  const skew = Math.floor(now.getTime() / 1000) - timestamp;
  if (Math.abs(skew) > windowSeconds) {
    const direction = skew > 0 ? `${skew} s old` : `${-skew} s in the future`;
    throw new SignatureError(
      'timestamp-outside-window',
      `The request was signed ${direction}; only ${windowSeconds} s either way are accepted (check the sender's clock, or re-sign).`,
    );
  }
  return timestamp;
}

/**
 * Checks the signature header has the one shape a signer produces, `sha256=<64 hex>`; returns it trimmed.
 * Cheap, so the endpoint refuses a malformed header before reading the body.
 */
export function checkSignatureFormat(value: string | undefined): string {
  const header = value?.trim();
  if (header === undefined || header === '') {
    throw new SignatureError('missing-signature', `The ${SIGNATURE_HEADER} header is missing; it must be 'sha256=<hex HMAC>'.`);
  }
  if (!/^sha256=[0-9a-fA-F]{64}$/.test(header)) {
    throw new SignatureError('invalid-signature-format', `The ${SIGNATURE_HEADER} header is not 'sha256=' followed by 64 hex characters.`);
  }
  return header;
}

/** Throws SignatureError naming the first check that failed; returns the verified timestamp. */
export function verifySignature(input: VerifyInput): number {
  const timestamp = checkTimestamp(input.timestamp, input.now, input.windowSeconds);
  const header = checkSignatureFormat(input.signature);
  const expected = hmac(input.body, input.secret, timestamp);
  const given = Buffer.from(header.slice(PREFIX.length), 'hex');
  // Both are 32 bytes (the format check above guarantees it); timingSafeEqual throws on unequal lengths.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureError('signature-mismatch', 'The signature does not match the body and timestamp: wrong secret, or the body was changed.');
  }
  return timestamp;
}

function hmac(body: Body, secret: Secret, timestamp: number): Buffer {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError(`Invalid timestamp ${String(timestamp)}. Expected unix seconds.`);
  return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body).digest();
}

export interface ReplayCacheOptions {
  windowSeconds?: number;
  /** Live entries kept at most; at 100 000, a sustained 330 requests/s for the whole window. */
  maxEntries?: number;
}

/**
 * The signatures verified in the last window. An entry is useless once its timestamp leaves the window (the
 * timestamp check refuses the request first), so it expires then. Bounded: when full of live entries it
 * refuses new requests (ReplayCacheFullError) instead of forgetting one, which would let that one be replayed.
 * Per process: across replicas a replay passes this check, which is why creating a record is idempotent.
 */
export class ReplayCache {
  readonly #windowMs: number;
  readonly #maxEntries: number;
  /** signature -> expiry (ms). Insertion order is close to expiry order; pruning tolerates the difference. */
  readonly #seen = new Map<string, number>();

  constructor(options: ReplayCacheOptions = {}) {
    this.#windowMs = (options.windowSeconds ?? SIGNATURE_WINDOW_SECONDS) * 1000;
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  get size(): number {
    return this.#seen.size;
  }

  /**
   * Records a verified signature; throws ReplayedRequestError when it is already recorded and still live.
   * Call only after verifySignature succeeded, so unauthenticated requests cannot fill the cache.
   */
  remember(signature: string, timestamp: number, now: Date): void {
    const key = signature.trim().toLowerCase();
    const nowMs = now.getTime();
    const expiry = this.#seen.get(key);
    if (expiry !== undefined && expiry > nowMs) {
      throw new ReplayedRequestError('This signed request was already received; a new delivery must be signed again with a fresh timestamp.');
    }
    this.#prune(nowMs);
    if (this.#seen.size >= this.#maxEntries) {
      throw new ReplayCacheFullError(`More than ${this.#maxEntries} signed requests in ${this.#windowMs / 1000} s; retry later.`);
    }
    this.#seen.delete(key);
    this.#seen.set(key, timestamp * 1000 + this.#windowMs + 1000);
  }

  /** Forgets a signature whose request had no effect (the record could not be created), so a resend can succeed. */
  forget(signature: string): void {
    this.#seen.delete(signature.trim().toLowerCase());
  }

  #prune(nowMs: number): void {
    for (const [key, expiry] of this.#seen) {
      if (expiry > nowMs) {
        // Mostly sorted: stop at the first live entry, unless the cache is full and a later one may be dead.
        if (this.#seen.size < this.#maxEntries) return;
        continue;
      }
      this.#seen.delete(key);
    }
  }
}
