import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPReceiver } from '@slack/bolt';
import { Counter, type Registry } from 'prom-client';
import { SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER, SlackSignatureError, type SlackRequestVerifier } from '../../src/slack/request-verification.ts';
import type { Logger } from '../runtime/logger.ts';
import { boltLogger } from '../slack/bolt-logger.ts';

/**
 * `POST /slack/events` on the operator's HTTP port: Slack's interactivity requests (button clicks) and, if
 * subscribed, Events API deliveries. Our shared, framework-free verification runs first (signature, 5-minute
 * window, and the replay refusal Bolt does not have); a verified request is then handed, already buffered, to
 * Bolt's HTTPReceiver, which parses it and dispatches it to the App's listeners. Bolt's own signature check is
 * off because it would repeat ours on the same bytes.
 *
 * Ack first: the receiver answers Slack as soon as a listener calls `ack()` (Bolt's processBeforeResponse is
 * false), and the listeners ack before any work, so Slack has its 200 in milliseconds whatever the cluster
 * does; a listener that never acks is answered by Bolt after 3 s.
 *
 * Any replica may serve it: the decision is a precondition write, so the first click wins wherever it lands.
 */

export const SLACK_EVENTS_PATH = '/slack/events';
/** Interaction payloads are a few KiB; this bounds what an unauthenticated sender can make us buffer. */
export const MAX_SLACK_BODY_BYTES = 1024 * 1024;

export interface SlackEventsHandlerOptions {
  verifier: SlackRequestVerifier;
  log: Logger;
  registry?: Registry;
  now?: () => Date;
  maxBodyBytes?: number;
}

export type SlackEventsHandler = ((request: IncomingMessage, response: ServerResponse) => void) & {
  /** The Bolt receiver to give `new App({ receiver })`. */
  receiver: HTTPReceiver;
};

export function createSlackEventsHandler(options: SlackEventsHandlerOptions): SlackEventsHandler {
  const now = options.now ?? (() => new Date());
  const maxBodyBytes = options.maxBodyBytes ?? MAX_SLACK_BODY_BYTES;
  const requests = new Counter({
    name: 'ci_remediator_slack_requests_total',
    help: 'Requests to POST /slack/events, by outcome (accepted, or the failed check).',
    labelNames: ['outcome'] as const,
    registers: options.registry === undefined ? [] : [options.registry],
  });
  const receiver = new HTTPReceiver({
    // Never used to verify (signatureVerification is off: ours ran); Bolt requires a value.
    signingSecret: 'verified-before-bolt',
    signatureVerification: false,
    endpoints: [SLACK_EVENTS_PATH],
    processBeforeResponse: false,
    unhandledRequestTimeoutMillis: 3001,
    logger: boltLogger(options.log),
  });

  const refuse = (request: IncomingMessage, response: ServerResponse, status: number, outcome: string, message: string): void => {
    requests.inc({ outcome });
    options.log.info({ status, outcome, remote: request.socket.remoteAddress }, `slack request refused: ${message}`);
    if (!response.headersSent) response.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify({ error: outcome, message })}\n`);
  };

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    if (request.method !== 'POST') {
      requests.inc({ outcome: 'method-not-allowed' });
      response.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const declared = Number(request.headers['content-length'] ?? '0');
    if (declared > maxBodyBytes) {
      refuse(request, response, 413, 'too-large', `body of ${declared} bytes is over ${maxBodyBytes}`);
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    request.on('data', (chunk: Buffer) => {
      if (aborted) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        aborted = true;
        refuse(request, response, 413, 'too-large', `body is over ${maxBodyBytes} bytes`);
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', () => {
      aborted = true;
    });
    request.on('end', () => {
      if (aborted) return;
      const body = Buffer.concat(chunks);
      try {
        options.verifier.verify({ body, timestamp: header(request, SLACK_TIMESTAMP_HEADER), signature: header(request, SLACK_SIGNATURE_HEADER) }, now());
      } catch (error) {
        if (error instanceof SlackSignatureError) {
          refuse(request, response, 401, error.reason, error.message);
          return;
        }
        throw error;
      }
      requests.inc({ outcome: 'accepted' });
      // Bolt reads a pre-buffered body from `rawBody` instead of the (already consumed) stream.
      (request as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
      receiver.requestListener(request, response);
    });
  };
  return Object.assign(handler, { receiver });
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
