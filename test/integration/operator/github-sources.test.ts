import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { failureRecordName } from '../../../src/api/failure-record.ts';
import { createGitHubClient } from '../../../src/github/client.ts';
import { actionRunner, type ActionRunner } from '../../support/action-runner.ts';
import { jsonLines, runCli } from '../../support/cli.ts';
import { startGitHubServer, type FakeRun, type GitHubServer } from '../../support/github-server.ts';
import { createNamespace, eventually, getObject, kube, listObjects, RECORDS, type CustomObject, type Kube } from '../../support/kube.ts';
import { killAllOperators, startOperator, waitReady, type OperatorProcess } from '../../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts';
import { conditionOf, createPolicy } from './fixtures.ts';
import { createObject, POLICIES } from '../../support/kube.ts';

// The operator's GitHub sources as GitHub and a cluster administrator see them: signed deliveries over HTTP
// to POST /api/v1/github/webhook, the poller against the local GitHub server (its requests counted there),
// and the records they create read back with the Kubernetes API, beside the record the bundled action makes.

// GitHub's documented test vector (docs.github.com, "Validating webhook deliveries"): the operator runs with
// this secret, so the fixed signature below must pass its check.
const SECRET = "It's a Secret to Everybody";
const VECTOR = { payload: 'Hello, World!', signature: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' };
const TOKEN = 'ghp_sourcesTestToken0123456789abcdef';
const PATH = '/api/v1/github/webhook';

const NETWORK_LOG = [
  '2026-01-01T00:00:00.0000000Z ##[group]Run npm ci',
  '2026-01-01T00:00:01.0000000Z npm error code ECONNRESET',
  '2026-01-01T00:00:01.0000000Z npm error network aborted',
  '2026-01-01T00:00:01.0000000Z npm error errno ECONNRESET',
  '2026-01-01T00:00:02.0000000Z ##[error]Process completed with exit code 1.',
  '',
].join('\n');
const LINT_LOG = [
  '2026-01-01T00:00:00.0000000Z ##[group]Run npm run lint',
  '2026-01-01T00:00:01.0000000Z /home/runner/work/web/src/cart.ts',
  "2026-01-01T00:00:01.0000000Z   12:7  error  'total' is assigned a value but never used  no-unused-vars",
  '2026-01-01T00:00:01.0000000Z ✖ 1 problem (1 error, 0 warnings)',
  '2026-01-01T00:00:02.0000000Z ##[error]Process completed with exit code 1.',
  '',
].join('\n');

let k: Kube;
let actionNamespace: string;
let namespace: string;
let database: TestDatabase;
let github: GitHubServer;
let operator: OperatorProcess;
let runner: ActionRunner;
let work: string;
let startOptions: Parameters<typeof startOperator>[0];

beforeAll(async () => {
  k = kube();
  actionNamespace = await createNamespace(k, 'src-action');
  namespace = await createNamespace(k, 'src-hook');
  database = await createTestDatabase();
  github = await startGitHubServer({ tokens: [TOKEN] });
  work = mkdtempSync(join(tmpdir(), 'sources-'));
  writeFileSync(join(work, 'webhook-secret'), `${SECRET}\n`, { mode: 0o600 });
  writeFileSync(join(work, 'token'), `${TOKEN}\n`, { mode: 0o600 });
  runner = actionRunner(work, github.url);
  // Every repository the poller polls exists on the local GitHub (a 404 would count against the rate limit).
  for (const repository of ['acme/poll-a', 'acme/poll-b', 'acme/all-three']) github.repo(repository);
  // Protected: records wait for a person, so nothing re-runs and the runs stay as the test made them.
  for (const ns of [actionNamespace, namespace]) {
    await createPolicy(k, ns, 'watched', { repositories: ['acme/hook-*', 'acme/poll-a', 'acme/poll-b', 'acme/all-three'], protected: true });
  }
  startOptions = {
    kubeconfig: k.kubeconfig,
    namespaces: [actionNamespace, namespace],
    databaseUrl: database.url,
    leaderElectionNamespace: namespace,
    identity: 'sources-operator',
    extraArgs: [
      '--ingest-namespace', namespace,
      '--github-webhook-secret-file', join(work, 'webhook-secret'),
      '--github-token-file', join(work, 'token'),
      '--github-api-url', github.url,
      '--poll', '--poll-interval', '2s',
    ],
  };
  operator = await startOperator(startOptions);
  await waitReady(operator);
}, 120_000);

afterAll(async () => {
  await killAllOperators();
  await github?.close();
  await database?.drop();
});

function signature(body: string, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

interface Delivery {
  event?: string;
  delivery?: string;
  signature?: string | null;
  contentType?: string;
}

async function deliver(body: string, options: Delivery = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/json',
    'user-agent': 'GitHub-Hookshot/abc123',
    'x-github-event': options.event ?? 'workflow_run',
    'x-github-delivery': options.delivery ?? randomUUID(),
  };
  if (options.signature !== null) headers['x-hub-signature-256'] = options.signature ?? signature(body);
  const response = await fetch(`http://127.0.0.1:${operator.port}${PATH}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
}

/** The workflow_run event GitHub sends when `run` completes: its REST representation, under `workflow_run`. */
async function workflowRunEvent(run: FakeRun, action = 'completed'): Promise<string> {
  const response = await fetch(`${github.url}/repos/${run.repo.fullName}/actions/runs/${run.id}`, { headers: { authorization: `token ${TOKEN}` } });
  const workflowRun = (await response.json()) as { repository: unknown };
  return JSON.stringify({ action, workflow_run: workflowRun, workflow: { id: 1 }, repository: workflowRun.repository, sender: { login: 'octocat' } });
}

function failedRun(repository: string, options: { createdAt?: Date } = {}): FakeRun {
  const run = github.repo(repository).addRun({
    ...(options.createdAt !== undefined && { createdAt: options.createdAt }),
    jobs: [
      { name: 'build', conclusion: 'success', log: 'all good\n' },
      { name: 'test', conclusion: 'failure', steps: [{ name: 'Set up job', conclusion: 'success' }, { name: 'Run npm ci', conclusion: 'failure' }], log: NETWORK_LOG },
      { name: 'lint', conclusion: 'failure', steps: [{ name: 'Run npm run lint', conclusion: 'failure' }], log: LINT_LOG },
    ],
  });
  github.repo(repository).setCommitFiles(run.headSha, ['src/cart.ts', 'package-lock.json']);
  return run;
}

const nameOf = (run: FakeRun, attempt = 1): string => failureRecordName(run.repo.fullName, run.id, attempt);

async function waitRecord(ns: string, name: string, analysed = false, timeoutMs = 45_000): Promise<CustomObject> {
  return eventually(
    async () => {
      const record = await getObject(k, RECORDS, ns, name).catch(() => undefined);
      if (record === undefined) throw new Error(`no record ${ns}/${name} yet`);
      if (analysed && record.status?.analysis === undefined) throw new Error(`${ns}/${name} not analysed yet`);
      return record;
    },
    { timeoutMs, description: `record ${ns}/${name}` },
  );
}

async function recordCount(): Promise<number> {
  return (await listObjects(k, RECORDS, namespace)).length;
}

/** What `ci-remediator audit --action report` says of one record (the command docs/sources.md shows). */
async function auditRows(recordName: string): Promise<Array<{ actor: string; outcome: string; details: Record<string, unknown> }>> {
  const result = await runCli(['audit', '--action', 'report', '--format', 'json'], { env: { CI_REMEDIATOR_DATABASE_URL: database.url } });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  const [page] = jsonLines(result.stdout) as Array<{ entries: Array<Record<string, unknown>> }>;
  return page!.entries
    .filter((row) => (row.record as { name?: string } | null)?.name === recordName)
    .map((row) => ({ actor: String(row.actor), outcome: String(row.outcome), details: row.details as Record<string, unknown> }));
}

describe('the webhook receiver', () => {
  it('answers ping, and accepts GitHub\'s documented test vector as signed', async () => {
    const ping = await deliver(JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }), { event: 'ping' });
    expect(ping.status).toBe(200);
    expect(ping.body.ok).toBe(true);
    // The vector's payload is not JSON: past the signature check, it is refused as malformed, not as forged.
    const vector = await deliver(VECTOR.payload, { signature: VECTOR.signature });
    expect(vector).toMatchObject({ status: 400, body: { error: 'malformed-json' } });
    const flipped = await deliver(VECTOR.payload, { signature: VECTOR.signature.replace(/.$/, '0') });
    expect(flipped).toMatchObject({ status: 401, body: { error: 'signature-mismatch' } });
  });

  it('turns a signed workflow_run into the record the action makes for that run: same name, excerpt and analysis', async () => {
    const run = failedRun('acme/hook-web');
    const action = await runner.run(
      { 'github-token': TOKEN, mode: 'kubernetes', kubeconfig: readFileSync(k.kubeconfig, 'utf8'), namespace: actionNamespace },
      runner.runVars(run, { GITHUB_SERVER_URL: `${new URL(github.url).origin}/_html` }),
    );
    expect(action.outputs['record-name']).toBe(nameOf(run));

    const accepted = await deliver(await workflowRunEvent(run));
    expect(accepted).toMatchObject({ status: 202, body: { accepted: true } });
    const fromHook = await waitRecord(namespace, nameOf(run), true);
    const fromAction = await waitRecord(actionNamespace, nameOf(run), true);

    const hookSpec = fromHook.spec as Record<string, unknown> & { failedJobs: unknown[] };
    const actionSpec = fromAction.spec as Record<string, unknown> & { failedJobs: unknown[] };
    expect(hookSpec.source).toBe('webhook');
    expect(actionSpec.source).toBe('action');
    expect(hookSpec.failedJobs).toEqual(actionSpec.failedJobs);
    expect(hookSpec.failedJobs).toHaveLength(2);
    for (const field of ['repository', 'workflow', 'changedFiles', 'fingerprint', 'pullRequest']) expect(hookSpec[field]).toEqual(actionSpec[field]);
    expect((hookSpec.commit as { sha: string }).sha).toBe((actionSpec.commit as { sha: string }).sha);
    const { analysis: hookAnalysis } = fromHook.status as { analysis: Record<string, unknown> };
    const { analysis: actionAnalysis } = fromAction.status as { analysis: Record<string, unknown> };
    // The riskiest of the two failed jobs speaks for the record (the pipeline's rule), on both paths.
    expect(hookAnalysis.category).toBe('lint_error');
    // Everything but the moment each was analysed.
    expect({ ...hookAnalysis, analyzedAt: undefined }).toEqual({ ...actionAnalysis, analyzedAt: undefined });
  }, 90_000);

  it('refuses unsigned, forged, replayed, oversized, malformed and unknown-event requests, and creates nothing', async () => {
    const run = failedRun('acme/hook-refused');
    const event = await workflowRunEvent(run);
    const before = await recordCount();

    expect(await deliver(event, { signature: null })).toMatchObject({ status: 401, body: { error: 'signature-missing' } });
    expect(await deliver(event, { signature: signature(event, 'not-the-secret') })).toMatchObject({ status: 401, body: { error: 'signature-mismatch' } });
    expect(await deliver(event, { contentType: 'application/x-www-form-urlencoded' })).toMatchObject({ status: 415 });
    const big = JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024 + 1) });
    expect(await deliver(big)).toMatchObject({ status: 413, body: { error: 'body-too-large' } });
    expect(await deliver('{"action": "completed",')).toMatchObject({ status: 400, body: { error: 'malformed-json' } });
    expect(await deliver(event, { event: 'push' })).toMatchObject({ status: 400, body: { error: 'unsupported-event' } });
    expect(await deliver(JSON.stringify({ action: 'completed', repository: { full_name: 'acme/hook-refused' } }))).toMatchObject({
      status: 400,
      body: { error: 'invalid-payload' },
    });

    // A replay: the first delivery is a run still in progress (accepted, nothing to report), the second
    // carries the same delivery id and is refused whatever it says.
    const delivery = randomUUID();
    expect(await deliver(await workflowRunEvent(run, 'in_progress'), { delivery })).toMatchObject({ status: 202, body: { accepted: true } });
    expect(await deliver(event, { delivery })).toMatchObject({ status: 409, body: { error: 'replayed' } });

    // Nothing was created for any of them (the run is a real failure: a valid delivery would have made one).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await recordCount()).toBe(before);
    expect(await getObject(k, RECORDS, namespace, nameOf(run)).catch(() => undefined)).toBeUndefined();
  }, 60_000);

  it('reports a failed workflow_job with its run once the run is over, not while it still runs', async () => {
    const jobEvent = async (run: FakeRun, name: string): Promise<string> => {
      const response = await fetch(`${github.url}/repos/${run.repo.fullName}/actions/jobs/${run.job(name).id}`, { headers: { authorization: `token ${TOKEN}` } });
      const repository = await (await fetch(`${github.url}/repos/${run.repo.fullName}`, { headers: { authorization: `token ${TOKEN}` } })).json();
      return JSON.stringify({ action: 'completed', workflow_job: await response.json(), repository, sender: { login: 'octocat' } });
    };
    const running = github.repo('acme/hook-jobs').addRun({
      jobs: [
        { name: 'test', conclusion: 'failure', log: NETWORK_LOG },
        { name: 'e2e', status: 'in_progress' },
      ],
    });
    expect(await deliver(await jobEvent(running, 'test'), { event: 'workflow_job' })).toMatchObject({ status: 202, body: { accepted: true } });

    const over = failedRun('acme/hook-jobs');
    expect(await deliver(await jobEvent(over, 'lint'), { event: 'workflow_job' })).toMatchObject({ status: 202, body: { accepted: true } });
    const record = await waitRecord(namespace, nameOf(over));
    expect((record.spec as { source: string; failedJobs: unknown[] }).source).toBe('webhook');
    expect((record.spec as { failedJobs: unknown[] }).failedJobs).toHaveLength(2);
    // By now the first delivery's work is long done: the run still running made no record.
    expect(await getObject(k, RECORDS, namespace, nameOf(running)).catch(() => undefined)).toBeUndefined();
  }, 60_000);

  it('acknowledges and drops a repository no policy governs', async () => {
    const run = failedRun('other/unwatched');
    const before = await recordCount();
    const answer = await deliver(await workflowRunEvent(run));
    expect(answer.status).toBe(202);
    expect(String(answer.body.ignored)).toContain('no RemediationPolicy');
    expect(await recordCount()).toBe(before);
  });

  it('leaves a record with what is known, and a LogsRead condition, when a log cannot be downloaded', async () => {
    const run = failedRun('acme/hook-nolog');
    const testJob = run.job('test');
    github.inject({ kind: 'status', status: 404, path: `/repos/acme/hook-nolog/actions/jobs/${testJob.id}/logs`, times: 5 });
    expect((await deliver(await workflowRunEvent(run))).status).toBe(202);
    const record = await eventually(
      async () => {
        const found = await waitRecord(namespace, nameOf(run));
        if (conditionOf(found, 'LogsRead') === undefined) throw new Error('no LogsRead condition yet');
        return found;
      },
      { timeoutMs: 30_000, description: 'LogsRead condition' },
    );
    const jobs = (record.spec as { failedJobs: Array<{ name: string; excerpt: string; logBytes: number; failedStep?: string }> }).failedJobs;
    expect(jobs.map((job) => job.name)).toEqual(['test', 'lint']);
    expect(jobs[0]).toMatchObject({ excerpt: '', logBytes: 0, failedStep: 'Run npm ci' });
    expect(jobs[1]!.excerpt).toContain('no-unused-vars');
    expect(conditionOf(record, 'LogsRead')).toMatchObject({ status: 'False', reason: 'LogUnavailable' });
    expect(conditionOf(record, 'LogsRead')!.message).toContain('test: GitHub no longer has it');
  }, 60_000);
});

describe('the poller', () => {
  const logDownloads = (run: FakeRun): number =>
    github.apiRequests({ path: new RegExp(`^/repos/${run.repo.fullName}/actions/jobs/(${run.latest.jobs.map((job) => job.id).join('|')})/logs$`) }).length;
  const listings = (): number => github.apiRequests({ path: /^\/repos\/acme\/poll-[ab]\/actions\/runs$/ }).length;

  it('reports failed runs once across restarts, and costs nothing but 304s while idle', async () => {
    // Within the backfill window (1 h by default): the first poll finds it.
    const early = failedRun('acme/poll-a', { createdAt: new Date(Date.now() - 20 * 60_000) });
    const first = await waitRecord(namespace, nameOf(early));
    expect((first.spec as { source: string }).source).toBe('poller');

    // Idle: wait for a few polls of both repositories, then count what they cost.
    await eventually(async () => {
      if (github.apiRequests({ path: /^\/repos\/acme\/poll-[ab]\/actions\/runs$/ }).filter((r) => r.status === 304).length < 2) throw new Error('no 304 yet');
    }, { timeoutMs: 20_000, description: 'a conditional poll answered 304' });
    const usedBefore = github.rateLimitUsed;
    const listingsBefore = listings();
    const requestsBefore = github.requests.length;
    await eventually(async () => {
      if (listings() < listingsBefore + 4) throw new Error('fewer than 4 more polls');
    }, { timeoutMs: 20_000, description: 'four more polls' });
    const idle = github.requests.slice(requestsBefore).filter((request) => request.origin === 'api' && /^\/repos\/acme\/poll-/.test(request.path));
    expect(idle.length).toBeGreaterThanOrEqual(4);
    expect(idle.every((request) => request.status === 304 || request.status === 0)).toBe(true);
    expect(github.rateLimitUsed - usedBefore).toBe(0);

    // Down while a run fails: the restarted poller finds it from the stored watermark, and does not report the
    // first one again (its logs are downloaded once, ever).
    await operator.stop();
    const whileDown = failedRun('acme/poll-b');
    operator = await startOperator(startOptions);
    await waitReady(operator);
    const second = await waitRecord(namespace, nameOf(whileDown));
    expect((second.spec as { source: string }).source).toBe('poller');

    // And a run that fails while it runs.
    const later = failedRun('acme/poll-a');
    await waitRecord(namespace, nameOf(later));
    expect(logDownloads(early)).toBe(2);
    expect(logDownloads(whileDown)).toBe(2);
    expect(logDownloads(later)).toBe(2);
    const polled = (await listObjects(k, RECORDS, namespace)).filter((record) => /^acme\/poll-/.test((record.spec as { repository: string }).repository));
    expect(polled.map((record) => record.metadata?.name).sort()).toEqual([nameOf(early), nameOf(whileDown), nameOf(later)].sort());
  }, 120_000);
});

describe('the poller and the rate limit', () => {
  it("waits for GitHub's reset when the primary limit is spent, and exports the budget left", async () => {
    const limited = github.inject({ kind: 'rate-limit', resetInSeconds: 3, path: /^\/repos\/acme\/poll-[ab]\/actions\/runs$/ });
    const hit = await limited.reached;
    const hitAt = Date.now();
    // The same listing again once the window has reset, and no request to GitHub's API in between.
    const retried = await eventually(
      async () => {
        const after = github.requests.slice(github.requests.indexOf(hit) + 1).filter((request) => request.origin === 'api');
        if (after.length === 0) throw new Error('nothing after the 403 yet');
        return { first: after[0]!, at: Date.now() };
      },
      { timeoutMs: 20_000, description: 'the request after the rate limit' },
    );
    expect(retried.first.path).toBe(hit.path);
    expect(retried.at - hitAt).toBeGreaterThanOrEqual(2_000);
    const metrics = await operator.metrics();
    expect(metrics.samples.some((sample) => sample.name === 'ci_remediator_github_rate_limit_remaining')).toBe(true);
    expect(metrics.samples.some((sample) => sample.name === 'ci_remediator_poller_listings_total' && sample.labels.result === 'not-modified')).toBe(true);
  }, 60_000);
});

describe('dedup across sources', () => {
  it('action, webhook and poller reporting the same run attempt make one record; the audit says who came first', async () => {
    const run = failedRun('acme/all-three');
    const [action, hook] = await Promise.all([
      runner.run(
        { 'github-token': TOKEN, mode: 'kubernetes', kubeconfig: readFileSync(k.kubeconfig, 'utf8'), namespace },
        runner.runVars(run, { GITHUB_SERVER_URL: `${new URL(github.url).origin}/_html` }),
      ),
      workflowRunEvent(run).then((event) => deliver(event)),
    ]);
    expect(action.code).toBe(0);
    expect(hook.status).toBe(202);
    const record = await waitRecord(namespace, nameOf(run));
    const first = (record.spec as { source: string }).source;
    // All three have had their say: the webhook's and the poller's reports are audited.
    const rows = await eventually(
      async () => {
        const found = await auditRows(nameOf(run));
        const actors = new Set(found.map((row) => row.actor));
        if (!actors.has('github-webhook') || !actors.has('github-poller')) throw new Error(`audit so far: ${[...actors].join(', ')}`);
        return found;
      },
      { timeoutMs: 30_000, description: 'webhook and poller audited' },
    );
    const records = (await listObjects(k, RECORDS, namespace)).filter((r) => (r.spec as { repository: string }).repository === 'acme/all-three');
    expect(records).toHaveLength(1);
    for (const row of rows) {
      expect(row.details.firstSource).toBe(first);
      expect(row.outcome).toBe(row.actor === `github-${first}` ? 'created' : 'already-reported');
    }
    expect(action.stdout).toMatch(/FailureRecord .* (created|already existed)\./);
  }, 90_000);
});

describe('as a GitHub App', () => {
  it("resolves the policies' globs through the installation's repositories, and acts as the installation an event names", async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const appGitHub = await startGitHubServer({
      apps: [{ appId: 4242, publicKey, installations: [77, 88], repositories: { 77: ['acme/app-polled'], 88: ['acme/app-hooked'] } }],
    });
    try {
      writeFileSync(join(work, 'app.pem'), privateKey, { mode: 0o600 });
      await createObject(k, POLICIES, namespace, {
        apiVersion: 'ci-remediator.dev/v1alpha1',
        kind: 'RemediationPolicy',
        metadata: { name: 'app-repositories' },
        spec: { repositories: ['acme/app-*'], protected: true },
      });
      await operator.stop();
      operator = await startOperator({
        ...startOptions,
        identity: 'sources-app-operator',
        extraArgs: [
          '--ingest-namespace', namespace,
          '--github-webhook-secret-file', join(work, 'webhook-secret'),
          '--github-app-id', '4242',
          '--github-app-private-key-file', join(work, 'app.pem'),
          '--github-app-installation-id', '77',
          '--github-api-url', appGitHub.url,
          '--poll', '--poll-interval', '2s',
        ],
      });
      await waitReady(operator);

      // Polled: no policy names acme/app-polled, its glob does, and installation 77 lists it.
      const polled = appGitHub.repo('acme/app-polled').addRun({
        createdAt: new Date(),
        jobs: [{ name: 'test', conclusion: 'failure', steps: [{ name: 'Run npm ci', conclusion: 'failure' }], log: NETWORK_LOG }],
      });
      const polledRecord = await waitRecord(namespace, failureRecordName('acme/app-polled', polled.id, 1));
      expect((polledRecord.spec as { source: string }).source).toBe('poller');

      // Delivered by the App's webhook for installation 88: the operator reads that run as installation 88.
      const hooked = appGitHub.repo('acme/app-hooked').addRun({
        jobs: [{ name: 'test', conclusion: 'failure', steps: [{ name: 'Run npm ci', conclusion: 'failure' }], log: NETWORK_LOG }],
      });
      // The run as GitHub puts it in the event, read here as installation 88 itself.
      const asInstallation = createGitHubClient({ baseUrl: appGitHub.url, auth: { appId: 4242, privateKey, installationId: 88 } });
      const workflowRun = await asInstallation.getRun('acme/app-hooked', hooked.id);
      const event = JSON.stringify({ action: 'completed', installation: { id: 88 }, workflow_run: workflowRun, repository: workflowRun.repository });
      expect((await deliver(event)).status).toBe(202);
      const hookedRecord = await waitRecord(namespace, failureRecordName('acme/app-hooked', hooked.id, 1));
      expect((hookedRecord.spec as { source: string }).source).toBe('webhook');
      const listing = appGitHub.apiRequests({ path: `/repos/acme/app-hooked/actions/runs/${hooked.id}/attempts/1/jobs` });
      expect(listing.length).toBeGreaterThan(0);
      const used = /^(?:token|bearer)\s+(\S+)$/i.exec(String(listing[0]!.headers.authorization))?.[1] ?? '';
      expect(appGitHub.tokenInstallations.get(used)).toBe(88);
    } finally {
      await appGitHub.close();
    }
  }, 120_000);
});
