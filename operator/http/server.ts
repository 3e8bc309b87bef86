import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * Health and metrics over plain HTTP: `/healthz` (the process answers: liveness), `/readyz` (caches
 * synced, or for a standby replica its election loop running: readiness), `/metrics` (Prometheus text).
 */
export interface HealthServerOptions {
  address: string;
  port: number;
  ready: () => boolean;
  registry: Registry;
  /** Further paths and their handlers, any method (the ingest endpoint when it is enabled). */
  routes?: Readonly<Record<string, (request: IncomingMessage, response: ServerResponse) => void>>;
  /** Whether this server answers /metrics (default true); the ingest port does not, the metrics port does. */
  metrics?: boolean;
  /** Bounds for a port that takes requests from anyone (the ingest endpoint). */
  limits?: ServerLimits;
}

export interface ServerLimits {
  /** Open connections at most; the next one is closed as soon as it is accepted. */
  maxConnections: number;
  /** Time to receive the request headers (Node answers 408 and closes). */
  headersTimeoutMs: number;
  /** Time to receive the whole request; the ingest handler's own body timeout is shorter and answers first. */
  requestTimeoutMs: number;
}

const OWN_PATHS = new Set(['/healthz', '/livez', '/readyz', '/metrics']);

export interface HealthServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  // With limits, Node checks header and request timeouts every second instead of every 30 s.
  const server: Server = createServer({ ...(options.limits !== undefined && { connectionsCheckingInterval: 1_000 }) }, (request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const route = options.routes?.[path];
    if (route !== undefined) {
      route(request, response);
      return;
    }
    if (!OWN_PATHS.has(path) || (path === '/metrics' && options.metrics === false)) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz' || path === '/livez') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = options.ready();
      response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\n' : 'not ready\n');
    } else if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
      );
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  // Scrapers and probes use short-lived connections; do not let idle keep-alives delay shutdown.
  server.keepAliveTimeout = 5_000;
  if (options.limits !== undefined) {
    // A slow client holds a socket, not memory: these cut it off in seconds, not Node's default 300 s.
    server.maxConnections = options.limits.maxConnections;
    server.headersTimeout = options.limits.headersTimeoutMs;
    server.requestTimeout = options.limits.requestTimeoutMs;
    // A socket with no traffic for this long (connected and silent, or a stalled body) is closed.
    server.timeout = options.limits.requestTimeoutMs;
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: bound.address,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
