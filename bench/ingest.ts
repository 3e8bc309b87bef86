/**
 * The ingest endpoint under a slow-connection attack: 300 connections that send signed-looking headers (a
 * current timestamp, a well-formed signature) and then drip a 1.5 MiB body, plus slow-header connections,
 * against a real operator on the shared control plane. Prints the operator's RSS before, at the peak and
 * after, and how the connections were answered.
 * Usage: CI_REMEDIATOR_TEST_PG_ADMIN_URL=postgres://... node bench/ingest.ts [--connections N]
 */
import { createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { clusterUp } from '../scripts/cluster/harness.mjs';
import { applyCrds } from '../test/support/cluster-setup.ts';
import { createNamespace, kube } from '../test/support/kube.ts';
import { procStatusKb, startOperator, waitReady } from '../test/support/operator-process.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { failureRecord } from '../test/integration/operator/fixtures.ts';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '300' } } });
const CONNECTIONS = Number(values.connections);
const SECRET = 'bench-ingest-secret-0123456789abcdef';
const PATH = '/api/v1/failures';
const BODY = 1.5 * 1024 * 1024 - 1;

const { kubeconfig } = clusterUp();
await applyCrds(kubeconfig);
const k = kube(kubeconfig);
const namespace = await createNamespace(k, 'bench-ingest');
const database = await createTestDatabase();
const operator = await startOperator({
  kubeconfig,
  namespaces: [namespace],
  databaseUrl: database.url,
  leaderElect: false,
  identity: 'bench-ingest',
  env: { CI_REMEDIATOR_INGEST_SECRET: SECRET },
});
await waitReady(operator);

const rssMb = (): number => procStatusKb(operator.pid, 'VmRSS') / 1024;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function signed(body: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    'x-ci-remediator-timestamp': String(timestamp),
    'x-ci-remediator-signature': `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`,
  };
}

async function legitimateReport(): Promise<number> {
  const body = JSON.stringify({ spec: failureRecord({ repository: 'acme/bench' }).spec });
  const response = await fetch(`http://127.0.0.1:${operator.port}${PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signed(body) },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  return response.status;
}

// Warm up: the redactor, the API client and the JSON paths are loaded before the baseline is read.
for (let i = 0; i < 20; i += 1) await legitimateReport();
await sleep(3_000);
const baseline = rssMb();

interface Outcome {
  status: string;
  ms: number;
}

/** A connection that sends the headers of a 1.5 MiB body, then 16 KiB every 100 ms until it is cut off. */
function slowBody(): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket: Socket = connect(operator.port, '127.0.0.1');
    let reply = '';
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ status: /^HTTP\/1\.1 (\d+)/.exec(reply)?.[1] ?? 'closed', ms: Date.now() - started });
    });
    socket.on('connect', () => {
      const headers = { 'content-type': 'application/json', 'content-length': String(BODY), ...signed('x') };
      socket.write(`POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\n\r\n`);
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      timer = setInterval(() => {
        if (!socket.destroyed) socket.write(chunk);
      }, 100);
    });
  });
}

/** A connection that sends its request line and one header, then nothing. */
function slowHeaders(): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(operator.port, '127.0.0.1');
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ status: /^HTTP\/1\.1 (\d+)/.exec(reply)?.[1] ?? 'closed', ms: Date.now() - started }));
    socket.on('connect', () => socket.write(`POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n`));
  });
}

let peak = baseline;
const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 100);
const attackStarted = Date.now();
const outcomes = await Promise.all([
  ...Array.from({ length: CONNECTIONS }, () => slowBody()),
  ...Array.from({ length: Math.floor(CONNECTIONS / 2) }, () => slowHeaders()),
]);
const attackMs = Date.now() - attackStarted;
const during = await legitimateReport();
await sleep(10_000);
clearInterval(sampler);
const after = rssMb();

const byStatus = new Map<string, number>();
for (const outcome of outcomes) byStatus.set(outcome.status, (byStatus.get(outcome.status) ?? 0) + 1);
const longest = Math.max(...outcomes.map((o) => o.ms));
console.log(`attack: ${CONNECTIONS} slow-body + ${Math.floor(CONNECTIONS / 2)} slow-header connections, all cut off within ${(attackMs / 1000).toFixed(1)} s (longest held ${(longest / 1000).toFixed(1)} s)`);
console.log(`answers: ${[...byStatus].map(([status, count]) => `${status} x${count}`).join(', ')}`);
console.log(`operator RSS: baseline ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB (+${(peak - baseline).toFixed(0)}), 10 s after ${after.toFixed(0)} MB (+${(after - baseline).toFixed(0)})`);
console.log(`a legitimate report right after the attack: ${during}`);
const aborted = operator.logs.filter((line) => line.msg === 'ingest request aborted while reading the body');
if (aborted.length > 0) console.log(`bodies the client or the server's request timeout ended first: ${aborted.length} (${[...new Set(aborted.map((l) => String(l['err'])))].join('; ')})`);

await operator.stop();
await database.drop();
