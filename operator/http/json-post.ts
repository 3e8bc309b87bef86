import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter } from 'prom-client';

/**
 * What every JSON endpoint that takes a POST from the internet (ingest, the GitHub webhook) checks before it
 * reads a byte of the body: the method, the media type and the declared size. Cheap refusals first, so
 * unauthenticated traffic costs no buffering. A refused request's connection closes instead of draining.
 */
export type Refuse = (request: IncomingMessage, response: ServerResponse, status: number, error: string, message: string) => void;

export interface JsonPostOptions {
  requests: Counter<'code'>;
  refuse: Refuse;
  maxBodyBytes: number;
  /** Said after a wrong media type: how the sender fixes it. */
  mediaTypeHint?: string;
}

/** True when the request may go on; otherwise it has been answered. */
export function acceptJsonPost(request: IncomingMessage, response: ServerResponse, options: JsonPostOptions): boolean {
  if (request.method !== 'POST') {
    options.requests.inc({ code: '405' });
    response.writeHead(405, { allow: 'POST', 'content-type': 'application/json' }).end('{"error":"method-not-allowed","message":"Use POST."}\n');
    return false;
  }
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    response.setHeader('connection', 'close');
    const hint = options.mediaTypeHint === undefined ? '' : `; ${options.mediaTypeHint}`;
    options.refuse(request, response, 415, 'unsupported-media-type', `Content-Type must be application/json (got '${mediaType || 'none'}')${hint}.`);
    return false;
  }
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > options.maxBodyBytes) {
    response.setHeader('connection', 'close');
    options.refuse(request, response, 413, 'body-too-large', `The body must be at most ${options.maxBodyBytes} bytes (Content-Length says ${declared}).`);
    return false;
  }
  return true;
}
