import { createHmac, timingSafeEqual } from 'node:crypto';
import { CiRemediatorError } from '../errors.ts';
import { ReplayCache, SIGNATURE_FAILURES } from '../ingest/signature.ts';

/**
 * Slack's signed requests (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>" with the signing secret>` and
 * `X-Slack-Request-Timestamp: <unix seconds>`. Framework-free so the HTTP receiver, the tests and the
 * benchmark share one implementation; an interaction is a request from the internet, so nothing else about
 * it is believed before this passes.
 *
 * The 5-minute window is Slack's recommendation. Inside it, a captured request could be sent again; the
 * replay cache refuses a signature already seen (per process: across replicas the resourceVersion
 * precondition on the decision is what keeps a replay from deciding twice).
 */

export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';
export const SLACK_SIGNATURE_WINDOW_SECONDS = 300;
const VERSION = 'v0';

/** The ingest endpoint's failure reasons (the same checks, in the same order), plus Slack's replay refusal. */
export const SLACK_SIGNATURE_FAILURES = [...SIGNATURE_FAILURES, 'replayed'] as const;
export type SlackSignatureFailure = (typeof SLACK_SIGNATURE_FAILURES)[number];

export class SlackSignatureError extends CiRemediatorError {
  override readonly code = 'SLACK_SIGNATURE_INVALID';
  readonly reason: SlackSignatureFailure;

  constructor(reason: SlackSignatureFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** `v0=<hex>` for `body` at `timestamp`: what Slack sends, and what the tests sign with. */
export function slackSignature(body: string | Uint8Array, signingSecret: string, timestamp: number): string {
  return `${VERSION}=${createHmac('sha256', signingSecret).update(`${VERSION}:${timestamp}:`, 'utf8').update(body).digest('hex')}`;
}

/** Both headers as Slack would send them at `now`. */
export function slackSignedHeaders(body: string | Uint8Array, signingSecret: string, now: Date): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return { [SLACK_TIMESTAMP_HEADER]: String(timestamp), [SLACK_SIGNATURE_HEADER]: slackSignature(body, signingSecret, timestamp) };
}

export interface SlackVerifyInput {
  /** The raw body bytes as received. */
  body: string | Uint8Array;
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  now: Date;
  windowSeconds?: number;
}

/** Throws SlackSignatureError naming the first failed check; returns the verified timestamp. */
export function verifySlackSignature(input: SlackVerifyInput): number {
  const window = input.windowSeconds ?? SLACK_SIGNATURE_WINDOW_SECONDS;
  const raw = input.timestamp?.trim();
  if (raw === undefined || raw === '') {
    throw new SlackSignatureError('missing-timestamp', `The ${SLACK_TIMESTAMP_HEADER} header is missing.`);
  }
  if (!/^\d{1,12}$/.test(raw)) {
    throw new SlackSignatureError('invalid-timestamp', `The ${SLACK_TIMESTAMP_HEADER} header '${raw.slice(0, 40)}' is not a unix time in seconds.`);
  }
  const timestamp = Number(raw);
  const skew = Math.floor(input.now.getTime() / 1000) - timestamp;
  if (Math.abs(skew) > window) {
    throw new SlackSignatureError(
      'timestamp-outside-window',
      `The request was signed ${skew > 0 ? `${skew} s ago` : `${-skew} s in the future`}; only ${window} s either way are accepted.`,
    );
  }
  const header = input.signature?.trim();
  if (header === undefined || header === '') {
    throw new SlackSignatureError('missing-signature', `The ${SLACK_SIGNATURE_HEADER} header is missing.`);
  }
  if (!/^v0=[0-9a-fA-F]{64}$/.test(header)) {
    throw new SlackSignatureError('invalid-signature-format', `The ${SLACK_SIGNATURE_HEADER} header is not 'v0=' followed by 64 hex characters.`);
  }
  const expected = Buffer.from(slackSignature(input.body, input.signingSecret, timestamp).slice(3), 'hex');
  const given = Buffer.from(header.slice(3), 'hex');
  if (!timingSafeEqual(given, expected)) {
    throw new SlackSignatureError('signature-mismatch', 'The signature does not match the body and timestamp: wrong signing secret, or the body was changed.');
  }
  return timestamp;
}

/**
 * Verification plus replay refusal, for one process. Reuses the ingest endpoint's bounded replay cache: the
 * same rule (an entry lives exactly as long as its timestamp is inside the window) fits both.
 */
export class SlackRequestVerifier {
  readonly #secret: string;
  readonly #replays: ReplayCache;
  readonly #window: number;

  constructor(signingSecret: string, options: { windowSeconds?: number; maxEntries?: number } = {}) {
    if (signingSecret.trim() === '') throw new TypeError('The Slack signing secret is empty.');
    this.#secret = signingSecret;
    this.#window = options.windowSeconds ?? SLACK_SIGNATURE_WINDOW_SECONDS;
    this.#replays = new ReplayCache({
      windowSeconds: this.#window,
      ...(options.maxEntries !== undefined && { maxEntries: options.maxEntries }),
    });
  }

  /** Throws SlackSignatureError (reason `replayed` for a second delivery of the same signed request). */
  verify(request: { body: string | Uint8Array; timestamp: string | undefined; signature: string | undefined }, now: Date): void {
    const timestamp = verifySlackSignature({ ...request, signingSecret: this.#secret, now, windowSeconds: this.#window });
    try {
      this.#replays.remember(request.signature!, timestamp, now);
    } catch (error) {
      throw new SlackSignatureError('replayed', error instanceof Error ? `This signed Slack request was already received. ${error.message}` : String(error));
    }
  }
}
