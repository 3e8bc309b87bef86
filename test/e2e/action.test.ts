import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { failureRecordName } from '../../src/api/failure-record.ts';
import { actionRunner, type ActionRunner } from '../support/action-runner.ts';
import { REPO_ROOT } from '../support/cluster-setup.ts';
import { startGitHubServer, type FakeRun, type GitHubServer, type JobSpec } from '../support/github-server.ts';
import { createNamespace, eventually, getObject, isNotFound, kube, listObjects, RECORDS, type CustomObject, type Kube } from '../support/kube.ts';
import { killAllOperators, startOperator, waitReady, type OperatorProcess } from '../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

// The bundled action run the way a runner runs it (test/support/action-runner.ts). GitHub is the local API
// server (GITHUB_API_URL), Kubernetes the real control plane, the endpoint a real operator. Rebuild the bundle
// (`npm run action:build`) after changing anything it imports; `npm run action:check` fails when it is stale.

const TOKEN = `ghs_${randomBytes(18).toString('hex')}`;
const INGEST_SECRET = `ingest-${randomBytes(16).toString('hex')}`;
/** A personal access token that leaked into a job log: it must reach no output, summary or record. */
const LEAKED = `ghp_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x')}`;

/** The key setup-node restored, as its line in a job log names it. */
const CACHE_KEY = 'node-cache-Linux-x64-npm-6c1f0e5b2a8d9c3e4f7a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2';

const NETWORK_LOG = [
  '2024-05-01T11:59:58.0000000Z ##[group]Run actions/setup-node@v4',
  `2024-05-01T11:59:59.0000000Z Cache restored from key: ${CACHE_KEY}`,
  '2024-05-01T11:59:59.0000000Z ##[endgroup]',
  '2024-05-01T12:00:00.0000000Z ##[group]Run npm ci',
  '2024-05-01T12:00:00.0000000Z npm ci',
  `2024-05-01T12:00:01.0000000Z npm http fetch GET https://registry.npmjs.org/left-pad (auth ${LEAKED})`,
  '2024-05-01T12:00:02.0000000Z npm error code ECONNRESET',
  '2024-05-01T12:00:02.0000000Z npm error network aborted',
  '2024-05-01T12:00:02.0000000Z npm error errno ECONNRESET',
  '2024-05-01T12:00:02.0000000Z ##[error]Process completed with exit code 1.',
  '',
].join('\n');
const LINT_LOG = [
  '2024-05-01T12:00:00.0000000Z ##[group]Run npm run lint',
  '2024-05-01T12:00:01.0000000Z /home/runner/work/app/app/src/cart.ts',
  "2024-05-01T12:00:01.0000000Z   12:7  error  'total' is assigned a value but never used  @typescript-eslint/no-unused-vars",
  '2024-05-01T12:00:01.0000000Z ✖ 1 problem (1 error, 0 warnings)',
  '2024-05-01T12:00:01.0000000Z ##[error]Process completed with exit code 1.',
  '',
].join('\n');

let github: GitHubServer;
let k: Kube;
let namespace: string;
let work: string;
let runner: ActionRunner;

beforeAll(async () => {
  github = await startGitHubServer({ tokens: [TOKEN] });
  k = kube();
  namespace = await createNamespace(k, 'action');
  work = mkdtempSync(join(tmpdir(), 'action-e2e-'));
  runner = actionRunner(work, github.url);
}, 60_000);

afterAll(async () => {
  await killAllOperators();
  await github?.close();
});

const reporter: JobSpec = { name: 'report', status: 'in_progress' };

function typicalRun(repository: string): FakeRun {
  const run = github.repo(repository).addRun({
    jobs: [
      { name: 'build', conclusion: 'success', log: 'all good\n' },
      { name: 'test', conclusion: 'failure', steps: [{ name: 'Set up job', conclusion: 'success' }, { name: 'Run npm ci', conclusion: 'failure' }], log: NETWORK_LOG },
      { name: 'lint', conclusion: 'failure', steps: [{ name: 'Run npm run lint', conclusion: 'failure' }], log: LINT_LOG },
      reporter,
    ],
  });
  github.repo(repository).setCommitFiles(run.headSha, ['src/cart.ts', 'package-lock.json']);
  return run;
}

function apiCalls(repository: string): number {
  return github.apiRequests({ path: new RegExp(`^/repos/${repository}/`) }).length;
}

/** Every line of stdout that mentions `secret` is the runner's masking command for it. */
function expectMaskedOnly(stdout: string, secret: string): void {
  const mentions = stdout.split('\n').filter((line) => line.includes(secret));
  expect(mentions.length).toBeGreaterThan(0);
  expect(mentions.every((line) => line === `::add-mask::${secret}`)).toBe(true);
}

describe('the bundled action, mode kubernetes', () => {
  it('creates the FailureRecord, writes outputs and the summary; a second run finds the same record', async () => {
    const repository = 'acme/shop';
    const run = typicalRun(repository);
    const kubeconfig = readFileSync(k.kubeconfig, 'utf8');
    const inputs = { 'github-token': TOKEN, mode: 'kubernetes', kubeconfig, namespace };
    const first = await runner.run(inputs, runner.runVars(run));
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(first.stdout).not.toContain('::warning::');
    const name = failureRecordName(repository, run.id, 1);
    expect(first.outputs).toEqual({ 'record-name': name, category: expect.any(String), summary: expect.any(String) });
    expect(['network_error', 'lint_error']).toContain(first.outputs.category);

    const record = await getObject(k, RECORDS, namespace, name);
    const spec = record.spec as { failedJobs: Array<Record<string, unknown>>; changedFiles?: string[]; commit: Record<string, unknown>; workflow: Record<string, unknown> };
    expect(spec.failedJobs.map((job) => job.name)).toEqual(['test', 'lint']);
    expect(spec.failedJobs[0]).toMatchObject({ id: run.job('test').id, failedStep: 'Run npm ci', conclusion: 'failure', logBytes: Buffer.byteLength(NETWORK_LOG) });
    expect(spec.failedJobs[0]!.excerpt).toContain('npm error code ECONNRESET');
    expect(spec.failedJobs[0]!.keyLine).toMatchObject({ line: expect.any(Number) });
    expect(NETWORK_LOG.split('\n')[(spec.failedJobs[0]!.keyLine as { line: number }).line - 1]).toContain('ECONNRESET');
    // The cache the job restored, for clear-caches; the lint job's log named none.
    expect(spec.failedJobs[0]!.cacheKeys).toEqual([CACHE_KEY]);
    expect(spec.failedJobs[1]).not.toHaveProperty('cacheKeys');
    expect(spec.changedFiles).toEqual(['src/cart.ts', 'package-lock.json']);
    expect(spec.commit).toEqual({ sha: run.headSha, branch: run.headBranch, author: 'octocat' });
    expect(spec.workflow).toMatchObject({ name: 'CI', path: '.github/workflows/ci.yml', runId: run.id, runAttempt: 1, event: 'push' });

    // The job summary: the table of failed jobs, the record's name, each excerpt in a details block.
    expect(first.summary).toContain(name);
    expect(first.summary).toContain('<table>');
    expect(first.summary).toMatch(/<details><summary>test: excerpt \(from line \d+\)<\/summary>/);
    expect(first.summary).toContain('npm error code ECONNRESET');
    expect(first.summary).toContain('lint_error');

    // Secrets: the token and the kubeconfig's client key are masked; the leaked token is redacted everywhere.
    expectMaskedOnly(first.stdout, TOKEN);
    const clientKey = /client-key-data: (\S+)/.exec(kubeconfig)?.[1];
    if (clientKey) expect(first.stdout).toContain(`::add-mask::${clientKey}`);
    for (const text of [first.stdout, first.summary, JSON.stringify(record)]) expect(text).not.toContain(LEAKED);
    expect(JSON.stringify(record)).toContain('[REDACTED:');

    const second = await runner.run(inputs, runner.runVars(run));
    expect(second.code).toBe(0);
    expect(second.outputs['record-name']).toBe(name);
    expect(second.stdout).toContain(`FailureRecord ${namespace}/${name} already existed`);
    expect(second.summary).toContain('already existed');
    expect((await listObjects(k, RECORDS, namespace)).filter((object) => object.metadata.name === name)).toHaveLength(1);
  }, 60_000);

  it('makes exactly 2 + 3 GitHub API calls for 3 failed jobs among 120', async () => {
    const repository = 'acme/monorepo';
    const jobs: JobSpec[] = Array.from({ length: 116 }, (_, i) => ({ name: `shard ${i}`, conclusion: 'success' as const, log: 'ok\n' }));
    jobs.splice(10, 0, { name: 'unit (a)', conclusion: 'failure', log: NETWORK_LOG });
    jobs.splice(60, 0, { name: 'unit (b)', conclusion: 'failure', log: LINT_LOG });
    jobs.splice(110, 0, { name: 'e2e', conclusion: 'timed_out', log: NETWORK_LOG });
    jobs.push(reporter);
    expect(jobs).toHaveLength(120);
    const run = github.repo(repository).addRun({ jobs });
    const before = apiCalls(repository);
    const result = await runner.run({ 'github-token': TOKEN, kubeconfig: k.kubeconfig, namespace }, runner.runVars(run));
    expect(result.code).toBe(0);
    expect(apiCalls(repository) - before).toBe(2 + 3);
    const record = await getObject(k, RECORDS, namespace, result.outputs['record-name']!);
    expect((record.spec.failedJobs as Array<{ name: string }>).map((job) => job.name)).toEqual(['unit (a)', 'unit (b)', 'e2e']);
    // Two listing pages left no budget for the changed files: unknown, not "none".
    expect(record.spec.changedFiles).toBeUndefined();
    expect(result.summary).toContain('Changed files not gathered');
    expect(result.stdout).toMatch(/ci-remediator: created in \d+ ms .*, 5 GitHub API requests/);
  }, 60_000);

  it('analyses the head and tail of a log over max-log-bytes: the error at the end is kept, at its real line', async () => {
    const repository = 'acme/huge';
    const noiseLines = 800_000;
    const tail = ['2024-05-01T12:30:00.0000000Z npm error code ECONNRESET', '2024-05-01T12:30:00.0000000Z ##[error]Process completed with exit code 1.'];
    const run = github.repo(repository).addRun({
      jobs: [
        {
          name: 'build',
          conclusion: 'failure',
          log: {
            chunks: function* () {
              const block = 1000;
              for (let start = 0; start < noiseLines; start += block) {
                let text = '';
                for (let i = start; i < start + block; i++) text += `2024-05-01T12:00:00.0000000Z compiling module ${i} ok\n`;
                // A cache restored in the middle of the log, which the window leaves out of the analysis.
                if (start === noiseLines / 2) text += `2024-05-01T12:15:00.0000000Z Cache restored from key: ${CACHE_KEY}\n`;
                yield text;
              }
              yield `${tail.join('\n')}\n`;
            },
          },
        },
        reporter,
      ],
    });
    const result = await runner.run({ 'github-token': TOKEN, kubeconfig: k.kubeconfig, namespace, 'max-log-bytes': '1MiB' }, runner.runVars(run));
    expect(result.code).toBe(0);
    const record = await getObject(k, RECORDS, namespace, result.outputs['record-name']!);
    const job = (record.spec.failedJobs as Array<{ excerpt: string; keyLine: { line: number; text: string }; logBytes: number; cacheKeys?: string[] }>)[0]!;
    expect(job.logBytes).toBeGreaterThan(30 * 1024 * 1024);
    expect(job.excerpt).toContain('npm error code ECONNRESET');
    expect(job.keyLine.line).toBeGreaterThan(noiseLines + 1);
    expect(job.keyLine.line).toBeLessThanOrEqual(noiseLines + 1 + tail.length);
    expect(job.cacheKeys).toEqual([CACHE_KEY]);
    expect(result.outputs.category).toBe('network_error');
    expect(result.summary).toMatch(/skipped, head and tail analysed/);
  }, 120_000);

  it('prints the record and creates nothing in a dry run', async () => {
    const repository = 'acme/dry';
    const run = typicalRun(repository);
    const result = await runner.run({ 'github-token': TOKEN, 'dry-run': 'true', kubeconfig: '/nonexistent/kubeconfig-is-not-read' }, runner.runVars(run));
    // Inputs are checked in a dry run too: a wrong kubeconfig path would fail the real run.
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('::warning::');
    expect(result.stdout).toContain("Input 'kubeconfig' is neither a kubeconfig nor the path of a file");

    const dry = await runner.run({ 'github-token': TOKEN, 'dry-run': 'true', namespace }, runner.runVars(run));
    expect(dry.code).toBe(0);
    expect(dry.stdout).not.toContain('::warning::');
    const name = failureRecordName(repository, run.id, 1);
    expect(dry.outputs['record-name']).toBe(name);
    expect(dry.stdout).toContain('Dry run: this FailureRecord would be created');
    expect(dry.stdout).toContain(`  name: ${name}\n`);
    expect(dry.summary).toContain(`Dry run: FailureRecord <code>${name}</code> was built but not created.`);
    expect(await isNotFound(() => getObject(k, RECORDS, namespace, name))).toBe(true);
  }, 60_000);

  it('warns and exits 0 when GitHub is down, and fails the step with fail-on-error', async () => {
    const repository = 'acme/down';
    const run = typicalRun(repository);
    const down = runner.runVars(run, { GITHUB_API_URL: 'http://127.0.0.1:1' });
    const [lenient, strict] = await Promise.all([
      runner.run({ 'github-token': TOKEN, kubeconfig: k.kubeconfig, namespace }, down),
      runner.run({ 'github-token': TOKEN, kubeconfig: k.kubeconfig, namespace, 'fail-on-error': 'true' }, down),
    ]);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/^::warning::ci-remediator could not report this failure .*GitHub API GET \/repos\/acme\/down\/actions\/runs\/\d+\/attempts\/1\/jobs/m);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/^::error::ci-remediator could not report this failure: GitHub API/m);
    for (const result of [lenient, strict]) {
      expect(result.outputs).toEqual({});
      expectMaskedOnly(result.stdout, TOKEN);
    }
    expect(await isNotFound(() => getObject(k, RECORDS, namespace, failureRecordName(repository, run.id, 1)))).toBe(true);
  }, 90_000);

  it('names a bad input in its warning', async () => {
    const repository = 'acme/inputs';
    const run = typicalRun(repository);
    const result = await runner.run({ 'github-token': TOKEN, mode: 'carrier-pigeon' }, runner.runVars(run));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("::warning::ci-remediator could not report this failure (the step still succeeds; set fail-on-error to fail it): Invalid input 'mode': 'carrier-pigeon'. Expected 'kubernetes' or 'endpoint'.");
    const strict = await runner.run({ 'github-token': TOKEN, 'max-log-bytes': 'lots', 'fail-on-error': 'true' }, runner.runVars(run));
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain("Invalid input 'max-log-bytes': 'lots'");
  }, 30_000);
});

describe('the bundled action, mode endpoint', () => {
  let operator: OperatorProcess;
  let database: TestDatabase;
  let ingestNamespace: string;

  beforeAll(async () => {
    ingestNamespace = await createNamespace(k, 'action-ingest');
    database = await createTestDatabase();
    const secretFile = join(work, 'ingest-secret');
    writeFileSync(secretFile, INGEST_SECRET);
    operator = await startOperator({
      kubeconfig: k.kubeconfig,
      namespaces: [ingestNamespace],
      databaseUrl: database.url,
      leaderElectionNamespace: ingestNamespace,
      identity: 'action-ingest',
      // The local GitHub server is the configured GitHub: links in a report must be on it.
      extraArgs: ['--ingest-secret-file', secretFile, '--github-api-url', github.url],
    });
    await waitReady(operator);
  }, 120_000);

  afterAll(async () => {
    await operator?.stop();
    await database?.drop();
  });

  it('sends the record signed to the operator, which creates and gates it; a second run is the same record', async () => {
    const repository = 'acme/portal';
    // The local server's web pages (html_url) live on its own origin, as github.com's live beside api.github.com.
    const webOrigin = new URL(github.url).origin;
    const run = github.repo(repository).addRun({
      event: 'pull_request',
      pullRequests: [42],
      jobs: [{ name: 'test', conclusion: 'failure', log: NETWORK_LOG }, reporter],
    });
    github.repo(repository).setPullFiles(42, ['src/portal.ts']);
    const eventPath = join(work, 'pr-event.json');
    writeFileSync(
      eventPath,
      JSON.stringify({ pull_request: { number: 42, html_url: `${webOrigin}/acme/portal/pull/42`, base: { ref: 'main' }, head: { ref: run.headBranch, sha: run.headSha }, user: { login: 'alice' } } }),
    );
    const vars = runner.runVars(run, {
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_HEAD_REF: run.headBranch,
      GITHUB_REF: 'refs/pull/42/merge',
      GITHUB_SERVER_URL: webOrigin,
    });
    const inputs = { 'github-token': TOKEN, mode: 'endpoint', endpoint: `http://127.0.0.1:${operator.port}`, 'signing-secret': INGEST_SECRET };
    const first = await runner.run(inputs, vars);
    expect({ code: first.code, warning: first.stdout.includes('::warning::') }).toEqual({ code: 0, warning: false });
    const name = failureRecordName(repository, run.id, 1);
    expect(first.outputs['record-name']).toBe(name);
    expect(first.outputs.category).toBe('network_error');
    expectMaskedOnly(first.stdout, INGEST_SECRET);
    expect(first.stdout).toContain(`FailureRecord ${ingestNamespace}/${name} created`);

    const gated = await eventually(
      async () => {
        const record: CustomObject = await getObject(k, RECORDS, ingestNamespace, name);
        if (!['AutoApproved', 'AwaitingApproval', 'Blocked'].includes(String(record.status?.phase))) throw new Error(`phase ${String(record.status?.phase)}`);
        return record;
      },
      { timeoutMs: 30_000, description: 'the ingested record gated' },
    );
    expect(gated.spec).toMatchObject({
      pullRequest: { number: 42, baseBranch: 'main' },
      commit: { sha: run.headSha, author: 'alice' },
      changedFiles: ['src/portal.ts'],
    });
    expect(JSON.stringify(gated)).not.toContain(LEAKED);

    const second = await runner.run(inputs, vars);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`FailureRecord ${ingestNamespace}/${name} already existed`);
    expect((await listObjects(k, RECORDS, ingestNamespace)).map((object) => object.metadata.name)).toEqual([name]);
  }, 90_000);

  it('warns, naming the refusal, when the signing secret is wrong', async () => {
    const repository = 'acme/forged';
    const run = typicalRun(repository);
    const result = await runner.run(
      { 'github-token': TOKEN, mode: 'endpoint', endpoint: `http://127.0.0.1:${operator.port}/`, 'signing-secret': 'not-the-operators-secret' },
      runner.runVars(run),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/::warning::.*answered 401 signature-mismatch/);
    expect(await isNotFound(() => getObject(k, RECORDS, ingestNamespace, failureRecordName(repository, run.id, 1)))).toBe(true);
  }, 30_000);
});

describe('through @github/local-action', () => {
  it('runs action/main.ts with the inputs of an env file and creates the record', async () => {
    const repository = 'acme/local';
    const run = typicalRun(repository);
    const envFile = join(work, 'local-action.env');
    const vars = { ...runner.runVars(run), 'INPUT_GITHUB-TOKEN': TOKEN, INPUT_KUBECONFIG: k.kubeconfig, INPUT_NAMESPACE: namespace, INPUT_MODE: 'kubernetes' };
    writeFileSync(envFile, `${Object.entries(vars).map(([key, value]) => `${key}=${value}`).join('\n')}\n`);
    const child = spawn(process.execPath, [join(REPO_ROOT, 'node_modules', '.bin', 'local-action'), 'run', REPO_ROOT, 'action/main.ts', envFile], {
      cwd: REPO_ROOT,
      env: { PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? work },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const name = failureRecordName(repository, run.id, 1);
    expect({ code, tail: stdout.slice(-3000).includes(name) }).toEqual({ code: 0, tail: true });
    expect(stdout).toMatch(/record-name.*│.*'[a-z0-9-]+'/);
    const record = await getObject(k, RECORDS, namespace, name);
    expect((record.spec.failedJobs as Array<{ name: string }>).map((job) => job.name)).toEqual(['test', 'lint']);
  }, 120_000);
});
