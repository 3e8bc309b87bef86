import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNamespace, createObject, eventually, kube, listObjects, RECORDS, type Kube } from '../../support/kube.ts';
import { killAllOperators, startOperator, waitReady, type OperatorProcess } from '../../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts';
import { failureRecord, isGated, waitGated } from './fixtures.ts';

// The operator's signed ingest endpoint as the action's endpoint mode (or any producer) uses it: raw HTTP
// with the documented headers, and `kubectl` to see what it created. Every refusal must also create nothing.

const execFileAsync = promisify(execFile);
const SECRET = 'ingest-test-secret-0123456789abcdef';
const PATH = '/api/v1/failures';
const MAX_BODY = 1.5 * 1024 * 1024;

let k: Kube;
let namespace: string;
let otherNamespace: string;
let database: TestDatabase;
let operator: OperatorProcess;

beforeAll(async () => {
  k = kube();
  namespace = await createNamespace(k, 'op-ingest');
  otherNamespace = await createNamespace(k, 'op-ingest-other');
  database = await createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'ingest-'));
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  operator = await startOperator({
    kubeconfig: k.kubeconfig,
    namespaces: [namespace],
    databaseUrl: database.url,
    leaderElectionNamespace: namespace,
    identity: 'ingest-operator',
    extraArgs: ['--ingest-secret-file', secretFile, '--ingest-header-timeout', '2s', '--ingest-body-timeout', '2s', '--ingest-max-bodies', '4'],
  });
  await waitReady(operator);
}, 120_000);

afterAll(async () => {
  await killAllOperators();
  await database?.drop();
});

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

interface SendOptions {
  secret?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  contentType?: string;
  headers?: Record<string, string>;
  port?: number;
}

function sign(body: string, secret: string, timestamp: number): Record<string, string> {
  return {
    'x-ci-remediator-timestamp': String(timestamp),
    'x-ci-remediator-signature': `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`,
  };
}

async function send(body: string, options: SendOptions = {}): Promise<Reply & { headers: Record<string, string> }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const response = await fetch(`http://127.0.0.1:${options.port ?? operator.port}${PATH}`, {
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/json', ...sign(body, options.secret ?? SECRET, timestamp), ...options.headers },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: response.status, body: parsed, headers: Object.fromEntries(response.headers) };
}

/** A valid report: `{ spec }`, as the action sends it (namespace from the operator's default). */
function report(extra: Record<string, unknown> = {}): { body: string; spec: Record<string, unknown> } {
  const { spec } = failureRecord({ repository: 'acme/ingest' });
  return { body: JSON.stringify({ spec, ...extra }), spec };
}

async function recordNames(ns = namespace): Promise<string[]> {
  return (await listObjects(k, RECORDS, ns)).map((record) => record.metadata.name).sort();
}

/** Runs `act` and asserts the namespace holds exactly the records it held before. */
async function createsNothing(act: () => Promise<void>): Promise<void> {
  const before = await recordNames();
  await act();
  expect(await recordNames()).toEqual(before);
}

async function kubectlGet(name: string): Promise<Record<string, unknown>> {
  const { stdout } = await execFileAsync('kubectl', ['--kubeconfig', k.kubeconfig, '-n', namespace, 'get', 'fr', name, '-o', 'json']);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('POST /api/v1/failures', () => {
  it('creates the FailureRecord from a signed report; kubectl shows it and the operator gates it', async () => {
    const { body, spec } = report();
    const reply = await send(body);
    expect(reply.status).toBe(201);
    const name = reply.body.name as string;
    expect(reply.body).toEqual({ name, namespace, created: true });
    const workflow = spec.workflow as { runId: number; runAttempt: number };
    expect(name).toMatch(new RegExp(`^acme-ingest-${workflow.runId}-${workflow.runAttempt}-[0-9a-f]{8}$`));

    const shown = await kubectlGet(name);
    expect(shown.spec).toEqual(spec);
    const gated = await waitGated(k, namespace, name);
    expect(isGated(gated)).toBe(true);
  });

  it('answers 200 with the same name when the same failure is reported again: one record', async () => {
    const { body } = report();
    const now = Math.floor(Date.now() / 1000);
    const first = await send(body, { timestamp: now - 1 });
    expect(first.status).toBe(201);
    const before = await recordNames();
    // Re-signed (a new delivery, not a replay) and sent twice more.
    const second = await send(body, { timestamp: now });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ name: first.body.name, namespace, created: false });
    expect(await recordNames()).toEqual(before);
  });

  it('refuses a forged signature (401) and creates nothing', async () => {
    await createsNothing(async () => {
      const reply = await send(report().body, { secret: 'not-the-secret-at-all-0000' });
      expect(reply.status).toBe(401);
      expect(reply.body.error).toBe('signature-mismatch');
      expect(reply.body.message).toMatch(/signature does not match/);
    });
  });

  it('refuses a signature without the sha256= format or missing headers (401)', async () => {
    await createsNothing(async () => {
      const missing = await send(report().body, { headers: { 'x-ci-remediator-signature': '' } });
      expect([missing.status, missing.body.error]).toEqual([401, 'missing-signature']);
      const noTimestamp = await fetch(`http://127.0.0.1:${operator.port}${PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: report().body,
      });
      expect(noTimestamp.status).toBe(401);
      expect(((await noTimestamp.json()) as { error: string }).error).toBe('missing-timestamp');
    });
  });

  it('refuses a correctly signed but stale request (401, timestamp outside the window) and creates nothing', async () => {
    await createsNothing(async () => {
      const stale = await send(report().body, { timestamp: Math.floor(Date.now() / 1000) - 600 });
      expect(stale.status).toBe(401);
      expect(stale.body.error).toBe('timestamp-outside-window');
      expect(stale.body.message).toMatch(/signed \d+ s old/);
      const future = await send(report().body, { timestamp: Math.floor(Date.now() / 1000) + 600 });
      expect([future.status, future.body.error]).toEqual([401, 'timestamp-outside-window']);
    });
  });

  it('refuses a replayed request (409) and creates nothing more', async () => {
    const { body } = report();
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await send(body, { timestamp });
    expect(first.status).toBe(201);
    await createsNothing(async () => {
      const replay = await send(body, { timestamp });
      expect(replay.status).toBe(409);
      expect(replay.body.error).toBe('replayed');
    });
    // A replay of a report whose first delivery never arrived is refused just the same.
    const fresh = report();
    const replayOf = await send(fresh.body, { timestamp: timestamp - 2 });
    expect(replayOf.status).toBe(201);
    expect((await send(fresh.body, { timestamp: timestamp - 2 })).status).toBe(409);
  });

  it('refuses an oversized body (413) from its Content-Length, before reading it', async () => {
    await createsNothing(async () => {
      const reply = await rawPost({ 'content-length': String(2 * 1024 * 1024) }, []);
      expect(reply.status).toBe(413);
      expect(JSON.parse(reply.body)).toMatchObject({ error: 'body-too-large' });
    });
  });

  it('refuses an oversized chunked body (413) once it has read the limit', async () => {
    await createsNothing(async () => {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const chunks = Array.from({ length: Math.ceil((MAX_BODY + 1) / chunk.length) }, () => chunk);
      const reply = await rawPost({ 'transfer-encoding': 'chunked' }, chunks);
      expect(reply.status).toBe(413);
    });
  });

  it('refuses a body that is not JSON (415 by content type, 400 by content) and creates nothing', async () => {
    await createsNothing(async () => {
      const wrongType = await send(report().body, { contentType: 'text/plain' });
      expect([wrongType.status, wrongType.body.error]).toEqual([415, 'unsupported-media-type']);
      const malformed = await send('{"spec": {"repository": "acme/web",');
      expect([malformed.status, malformed.body.error]).toEqual([400, 'malformed-json']);
      expect(malformed.body.message).toMatch(/not valid JSON/);
    });
  });

  it('refuses an invalid spec (400) naming the field, and creates nothing', async () => {
    await createsNothing(async () => {
      const { spec } = report();
      const invalid = { ...spec, workflow: { ...(spec.workflow as object), runId: -3 }, commit: { sha: 'not-a-sha' } };
      const reply = await send(JSON.stringify({ spec: invalid }));
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('invalid-spec');
      const details = reply.body.details as string[];
      expect(details).toEqual(expect.arrayContaining([expect.stringMatching(/^spec\.workflow\.runId: must be at least 1 \(got -3\)/)]));
      expect(details).toEqual(expect.arrayContaining([expect.stringMatching(/^spec\.commit\.sha: /)]));
      expect(reply.body.message).toMatch(/spec\.workflow\.runId/);
      const unknownField = await send(JSON.stringify({ spec, extra: true }));
      expect(unknownField.status).toBe(400);
      expect(unknownField.body.details).toEqual(['extra: unknown field']);
    });
  });

  it('refuses a namespace the operator does not watch (403) and creates nothing there', async () => {
    const before = await recordNames(otherNamespace);
    const reply = await send(report({ namespace: otherNamespace }).body);
    expect(reply.status).toBe(403);
    expect(reply.body.error).toBe('namespace-not-watched');
    expect(reply.body.message).toContain(otherNamespace);
    expect(await recordNames(otherNamespace)).toEqual(before);
    // Naming the watched namespace explicitly is the same as the default.
    const explicit = await send(report({ namespace }).body);
    expect([explicit.status, explicit.body.namespace]).toEqual([201, namespace]);
  });

  it('keeps health beside it, metrics on a port of its own, and counts requests by status', async () => {
    expect((await operator.get('/healthz')).status).toBe(200);
    // The ingest port is public wherever ingest is; /metrics is not served there.
    expect((await operator.get('/metrics')).status).toBe(404);
    expect(operator.metricsPort).not.toBe(operator.port);
    expect((await operator.get('/healthz', operator.metricsPort)).status).toBe(200);
    const metrics = await operator.metrics();
    expect(metrics.sum('ci_remediator_ingest_requests_total', { code: '201' })).toBeGreaterThanOrEqual(1);
    expect(metrics.sum('ci_remediator_ingest_requests_total', { code: '401' })).toBeGreaterThanOrEqual(1);
    const get = await operator.get(PATH);
    expect(get.status).toBe(405);
  });
});

describe('POST /api/v1/failures, other configurations', () => {
  it('is off (404) without a signing secret', async () => {
    const ns = await createNamespace(k, 'op-ingest-off');
    const off = await startOperator({ kubeconfig: k.kubeconfig, namespaces: [ns], databaseUrl: database.url, leaderElect: false, identity: 'ingest-off' });
    try {
      const reply = await send(report().body, { port: off.port });
      expect(reply.status).toBe(404);
      expect(await recordNames(ns)).toEqual([]);
    } finally {
      await off.stop();
    }
  }, 90_000);

  it('answers 503 with Retry-After when the API server is unreachable', async () => {
    // The same kubeconfig pointed at a port nothing listens on.
    const dir = mkdtempSync(join(tmpdir(), 'ingest-dead-'));
    const deadKubeconfig = join(dir, 'kubeconfig');
    writeFileSync(deadKubeconfig, readFileSync(k.kubeconfig, 'utf8').replace(/server: https:\/\/[^\s]+/g, 'server: https://127.0.0.1:1'));
    const unreachable = await startOperator({
      kubeconfig: deadKubeconfig,
      namespaces: [namespace],
      databaseUrl: database.url,
      leaderElect: false,
      identity: 'ingest-unreachable',
      env: { CI_REMEDIATOR_INGEST_SECRET: SECRET },
    });
    try {
      const { body } = report();
      const timestamp = Math.floor(Date.now() / 1000);
      const reply = await send(body, { port: unreachable.port, timestamp });
      expect(reply.status).toBe(503);
      expect(reply.body.error).toBe('api-server-unavailable');
      expect(reply.headers['retry-after']).toBe('5');
      // Nothing was created, so the same signed request may be sent again (not a replay).
      expect((await send(body, { port: unreachable.port, timestamp })).status).toBe(503);
    } finally {
      await unreachable.stop('SIGKILL');
    }
  }, 90_000);
});


// Fake secrets, assembled at run time so this file holds nothing a scanner takes for a credential.
const fakeGhp = ['gh', 'p_', 'Z9'.repeat(18)].join('');
const fakeAwsId = ['AK', 'IA', 'Q7WXYZ234567ABCD'].join('');
const fakeUrlPassword = 'hunter2-Prod-77';

function secretBearingSpec(): Record<string, unknown> {
  const excerpt = [
    `fatal: could not read from https://ci:${fakeUrlPassword}@git.acme.example/app.git`,
    `export AWS_ACCESS_KEY_ID=${fakeAwsId}`,
    `npm ERR! 401 token ${fakeGhp} rejected`,
    'Error: Process completed with exit code 1.',
  ].join('\n');
  const { spec } = failureRecord({ repository: 'acme/ingest', excerpt });
  const job = (spec.failedJobs as Record<string, unknown>[])[0]!;
  job.keyLine = { line: 3, text: `npm ERR! 401 token ${fakeGhp} rejected` };
  job.cacheKeys = [`npm-cache-${fakeGhp}`];
  return spec as Record<string, unknown>;
}

function expectNoSecret(value: unknown): void {
  const text = JSON.stringify(value);
  for (const secret of [fakeGhp, fakeAwsId, fakeUrlPassword]) expect(text).not.toContain(secret);
}

describe('POST /api/v1/failures, server-side redaction', () => {
  it('redacts every text field before it creates the record: etcd never holds the secrets', async () => {
    const spec = secretBearingSpec();
    const reply = await send(JSON.stringify({ spec }));
    expect(reply.status).toBe(201);
    const stored = await kubectlGet(reply.body.name as string);
    expectNoSecret(stored.spec);
    const job = ((stored.spec as { failedJobs: Record<string, unknown>[] }).failedJobs)[0]!;
    expect(job.excerpt).toContain('[REDACTED:github-token]');
    expect((job.keyLine as { text: string }).text).toBe('npm ERR! 401 token [REDACTED:github-token] rejected');
    expect(job.cacheKeys).toEqual(['npm-cache-[REDACTED:github-token]']);
    const gated = await waitGated(k, namespace, reply.body.name as string);
    expectNoSecret(gated.status);
    // A record the endpoint redacted carries no "unredacted spec" condition.
    expect(((gated.status as { conditions: { type: string }[] }).conditions).map((c) => c.type)).not.toContain('SpecRedacted');
  });

  it('marks a record created by hand with secrets in its spec, and copies none of them to status, Events or logs', async () => {
    const record = failureRecord({ repository: 'acme/by-hand' });
    record.spec = { ...secretBearingSpec(), repository: 'acme/by-hand' };
    await createObject(k, RECORDS, namespace, record);
    const gated = await waitGated(k, namespace, record.metadata.name);
    const conditions = (gated.status as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions;
    const marked = conditions.find((c) => c.type === 'SpecRedacted');
    expect(marked).toMatchObject({ status: 'True', reason: 'SpecHoldsUnredactedText' });
    expect(marked!.message).toMatch(/github-token x\d/);
    expectNoSecret(gated.status);
    const events = await k.core.listNamespacedEvent({ namespace });
    expectNoSecret(events.items.filter((e) => e.involvedObject.name === record.metadata.name).map((e) => e.message));
    expectNoSecret(operator.logs);
  });
});

describe('POST /api/v1/failures, refusals quote no secrets', () => {
  it('redacts the values an invalid-spec answer quotes, in the answer and in the log', async () => {
    await createsNothing(async () => {
      const { spec } = report();
      const reply = await send(JSON.stringify({ spec: { ...spec, workflow: { ...(spec.workflow as object), event: fakeGhp } } }));
      expect([reply.status, reply.body.error]).toEqual([400, 'invalid-spec']);
      expect(reply.body.details).toEqual([expect.stringMatching(/^spec\.workflow\.event: .*\[REDACTED:github-token\]/)]);
      expectNoSecret(reply.body);
      expectNoSecret(operator.logs);
    });
  });
});

describe('POST /api/v1/failures, repositories and links', () => {
  it.each(['acme/..', 'acme/.', 'acme/...'])('refuses the repository %j (400) and creates nothing', async (repository) => {
    await createsNothing(async () => {
      const { spec } = report();
      const reply = await send(JSON.stringify({ spec: { ...spec, repository } }));
      expect([reply.status, reply.body.error]).toEqual([400, 'invalid-spec']);
      expect((reply.body.details as string[]).join('\n')).toMatch(/^spec\.repository: must be a repository/m);
    });
  });

  it('takes ACME/Web-Shop and acme/web-shop as one repository: one record, the first casing kept for display', async () => {
    const { spec } = failureRecord({ repository: 'ACME/Web-Shop' });
    const now = Math.floor(Date.now() / 1000);
    const first = await send(JSON.stringify({ spec }), { timestamp: now - 1 });
    expect(first.status).toBe(201);
    const lower = { ...spec, repository: 'acme/web-shop' };
    const second = await send(JSON.stringify({ spec: lower }), { timestamp: now });
    expect(second.body).toEqual({ name: first.body.name, namespace, created: false });
    expect(first.body.name as string).toMatch(/^acme-web-shop-/);
    expect(((await kubectlGet(first.body.name as string)).spec as { repository: string }).repository).toBe('ACME/Web-Shop');
  });

  it('refuses job and run links that are not on the configured GitHub server (400)', async () => {
    await createsNothing(async () => {
      const { spec } = report();
      const jobs = (spec.failedJobs as Record<string, unknown>[]).map((job) => ({ ...job, url: 'https://evil.example/x' }));
      const reply = await send(JSON.stringify({ spec: { ...spec, failedJobs: jobs } }));
      expect([reply.status, reply.body.error]).toEqual([400, 'invalid-spec']);
      expect(reply.body.details).toEqual(["spec.failedJobs[0].url: must be on the configured GitHub server https://github.com (got host 'evil.example')"]);
      const run = await send(JSON.stringify({ spec: { ...spec, workflow: { ...(spec.workflow as object), url: 'https://ci:pw@github.com/acme/ingest/actions/runs/1' } } }));
      expect(run.body.details).toEqual(['spec.workflow.url: must not carry credentials']);
    });
  });
});

/** A connection that sends `head` (and then nothing), and what it gets back before it closes. */
function slowRequest(head: string, port = operator.port): { socket: Socket; reply: Promise<{ text: string; ms: number }> } {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  let text = '';
  const reply = new Promise<{ text: string; ms: number }>((resolve) => {
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    socket.on('error', () => undefined);
  });
  socket.on('connect', () => socket.write(head));
  return { socket, reply };
}

function signedHead(contentLength: number, headers: Record<string, string> = {}): string {
  const lines = [
    `POST ${PATH} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `Content-Length: ${contentLength}`,
    ...Object.entries({ ...sign('{}', SECRET, Math.floor(Date.now() / 1000)), ...headers }).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

describe('POST /api/v1/failures, unauthenticated work is bounded', () => {
  it('refuses a malformed signature header before reading the body', async () => {
    const { reply } = slowRequest(signedHead(1000, { 'x-ci-remediator-signature': 'sha256=not-hex' }));
    const { text, ms } = await reply;
    expect(text).toMatch(/^HTTP\/1\.1 401/);
    expect(text).toContain('"invalid-signature-format"');
    expect(ms).toBeLessThan(1_500);
  });

  it('cuts off a body that stalls (408 after the body timeout), and a request whose headers never end', async () => {
    const body = slowRequest(`${signedHead(1000)}{"spec":`);
    const headers = slowRequest(`POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    const [stalledBody, stalledHeaders] = await Promise.all([body.reply, headers.reply]);
    expect(stalledBody.text).toMatch(/^HTTP\/1\.1 408/);
    expect(stalledBody.text).toContain('"body-timeout"');
    expect(stalledBody.ms).toBeLessThan(6_000);
    expect(stalledHeaders.ms).toBeLessThan(6_000);
  }, 20_000);

  it('reads at most --ingest-max-bodies bodies at once: the next is answered 503 at once', async () => {
    const slow = Array.from({ length: 4 }, () => slowRequest(`${signedHead(1000)}{`));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { reply } = slowRequest(`${signedHead(10)}{}`);
    const busy = await reply;
    expect(busy.text).toMatch(/^HTTP\/1\.1 503/);
    expect(busy.text).toContain('"busy"');
    expect(busy.ms).toBeLessThan(1_500);
    for (const { socket } of slow) socket.destroy();
  });
});

describe('POST /api/v1/failures, connection limit', () => {
  it('refuses the connection past --ingest-max-connections, and accepts again once they close', async () => {
    const ns = await createNamespace(k, 'op-ingest-conn');
    const limited = await startOperator({
      kubeconfig: k.kubeconfig,
      namespaces: [ns],
      databaseUrl: database.url,
      leaderElect: false,
      identity: 'ingest-conn',
      env: { CI_REMEDIATOR_INGEST_SECRET: SECRET },
      extraArgs: ['--ingest-max-connections', '300', '--ingest-header-timeout', '30s'],
    });
    try {
      const held = Array.from({ length: 300 }, () => slowRequest('POST', limited.port));
      await eventually(async () => expect(held.every(({ socket }) => socket.readyState === 'open')).toBe(true), { timeoutMs: 10_000 });
      const extra = slowRequest('POST', limited.port);
      expect((await extra.reply).ms).toBeLessThan(2_000);
      expect(extra.socket.bytesRead).toBe(0);
      for (const { socket } of held) socket.destroy();
      await eventually(async () => expect((await limited.get('/healthz')).status).toBe(200), { timeoutMs: 10_000 });
    } finally {
      await limited.stop();
    }
  }, 90_000);
});

/** A POST through node:http, for bodies fetch cannot send (a lying Content-Length, an unfinished chunked body). */
function rawPost(headers: Record<string, string>, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  const timestamp = Math.floor(Date.now() / 1000);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: operator.port,
        path: PATH,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...sign('{}', SECRET, timestamp), ...headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error('no answer within 15 s')));
    // The body is never finished: the server must answer without waiting for the rest.
    for (const chunk of chunks) req.write(chunk);
    req.flushHeaders();
  });
}
