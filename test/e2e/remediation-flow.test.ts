import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { failureRecordName } from '../../src/api/failure-record.ts';
import { actionRunner, type ActionRunner } from '../support/action-runner.ts';
import { REPO_ROOT } from '../support/cluster-setup.ts';
import { startGitHubServer, type FakeRun, type GitHubServer, type RecordedRequest } from '../support/github-server.ts';
import { createNamespace, eventsFor, eventually, getObject, kube, RECORDS, type Kube } from '../support/kube.ts';
import { killAllOperators, startOperator, waitReady, type OperatorProcess } from '../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { conditionOf, createPolicy, phaseOf, TERMINAL_PHASES, waitPhase } from '../integration/operator/fixtures.ts';

// The whole product on one failure, as a platform team runs it: a workflow job fails on a network blip, the
// final job runs the bundled action (`node action/dist/index.js`, with the INPUT_* and GITHUB_* variables a
// runner sets), the action reports it (straight to Kubernetes, or signed to the operator's ingest endpoint),
// the operator analyses and gates it under a permissive RemediationPolicy, re-runs the failed jobs on GitHub
// (the local API server), follows the new attempt until it is green, and the record ends Succeeded with its
// audit trail in PostgreSQL. Nothing of ours is imported but the record-name function the action documents.
// The action runs from the committed bundle: run `npm run action:build` after changing anything it imports.

/** The workflow's token (what the action reads with) and the operator's own (what it re-runs with). */
const WORKFLOW_TOKEN = `ghs_${randomBytes(18).toString('hex')}`;
const OPERATOR_TOKEN = `ghs_${randomBytes(18).toString('hex')}`;
const INGEST_SECRET = `ingest-${randomBytes(16).toString('hex')}`;
const ALL_ACTIONS = ['rerun-failed-jobs', 'rerun-workflow', 'clear-caches', 'notify-only'];

/** Real-looking runner logs (examples/logs/); the rules analyzer classifies both network_error -> rerun-failed-jobs. */
const NPM_LOG = readFileSync(join(REPO_ROOT, 'examples', 'logs', 'gha-npm-network-error.log'), 'utf8');
const DOCKER_LOG = readFileSync(join(REPO_ROOT, 'examples', 'logs', 'gha-docker-rate-limit.log'), 'utf8');
/** The Slack webhook the docker log echoes: it must reach no record. */
const DOCKER_LOG_WEBHOOK_SECRET = 'aB3dE5gH7jK9mN1pQ3rS5tU7';

let github: GitHubServer;
let k: Kube;
let namespace: string;
let database: TestDatabase;
let operator: OperatorProcess;
let work: string;
let runner: ActionRunner;

beforeAll(async () => {
  github = await startGitHubServer({ tokens: [WORKFLOW_TOKEN, OPERATOR_TOKEN] });
  k = kube();
  namespace = await createNamespace(k, 'e2e-flow');
  database = await createTestDatabase();
  work = mkdtempSync(join(tmpdir(), 'remediation-flow-'));
  runner = actionRunner(work, github.url);
  await createPolicy(k, namespace, 'permissive', { repositories: ['acme/*'], riskThreshold: 70, allowedActions: ALL_ACTIONS });
  const secretFile = join(work, 'ingest-secret');
  writeFileSync(secretFile, INGEST_SECRET, { mode: 0o600 });
  operator = await startOperator({
    kubeconfig: k.kubeconfig,
    namespaces: [namespace],
    databaseUrl: database.url,
    leaderElectionNamespace: namespace,
    identity: 'e2e-flow',
    // 1 s is the shortest verification poll the operator accepts.
    extraArgs: ['--github-api-url', github.url, '--verify-poll-interval', '1s', '--ingest-secret-file', secretFile],
    env: { GITHUB_TOKEN: OPERATOR_TOKEN },
  });
  await waitReady(operator);
}, 120_000);

afterAll(async () => {
  await killAllOperators();
  await github?.close();
  await database?.drop();
});

// ------------------------------------------------------------------------------------------------ the action

/**
 * A push whose `failingJob` failed with `log` while `build` passed; `report` (the job that runs the action) is
 * still running. GitHub turns a re-run green after two observations.
 */
function failedRun(repository: string, failingJob: { name: string; step: string; log: string }): FakeRun {
  const repo = github.repo(repository);
  const run = repo.addRun({
    jobs: [
      { name: 'build', conclusion: 'success', log: 'all good\n' },
      {
        name: failingJob.name,
        conclusion: 'failure',
        steps: [
          { name: 'Set up job', conclusion: 'success' },
          { name: failingJob.step, conclusion: 'failure' },
        ],
        log: failingJob.log,
      },
      { name: 'report', status: 'in_progress' },
    ],
    onRerun: { conclusion: 'success', afterPolls: 2 },
  });
  repo.setCommitFiles(run.headSha, ['package-lock.json']);
  return run;
}

/** What the runner does once the reporting step has exited: the job ends, and with it the run, failed. */
function finishRun(run: FakeRun): void {
  run.job('report').complete('success');
  run.latest.complete('failure');
}

// ------------------------------------------------------------------------------------- what GitHub saw

function byToken(requests: RecordedRequest[], token: string): RecordedRequest[] {
  return requests.filter((request) => request.headers.authorization === `token ${token}` || request.headers.authorization === `Bearer ${token}`);
}

function repoRequests(repository: string): RecordedRequest[] {
  return github.apiRequests({ path: new RegExp(`^/repos/${repository}/`) });
}

function mutating(requests: RecordedRequest[]): RecordedRequest[] {
  return requests.filter((request) => request.method !== 'GET');
}

// --------------------------------------------------------------------------------------- the record

interface AuditEntry {
  action: string;
  outcome: string;
  record_name: string | null;
  repository: string | null;
  category: string | null;
  details: { from?: string; to?: string; call?: string; newRunAttempt?: number };
}

/** The record's audit trail as an auditor reads it from PostgreSQL, oldest first. */
async function auditTrail(uid: string): Promise<AuditEntry[]> {
  const client = new pg.Client({ connectionString: database.url, application_name: 'ci-remediator-tests-e2e-flow', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const result = await client.query<AuditEntry>('select action, outcome, record_name, repository, category, details from audit_log where record_uid = $1 order by id', [uid]);
    return result.rows;
  } finally {
    await client.end();
  }
}

/** One line per audit row: `Pending -> Analyzing` for a transition, `github rerun-failed-jobs accepted` for a call. */
function describeTrail(trail: AuditEntry[]): string[] {
  return trail.map((row) => (row.action === 'transition' ? `${row.details.from} -> ${row.details.to}` : `${row.action} ${row.details.call} ${row.outcome}`));
}

// ------------------------------------------------------------------------------------------ the flow

interface Scenario {
  repository: string;
  failingJob: { name: string; step: string; log: string };
  inputs: Record<string, string>;
}

const figures: string[] = [];

/** Reports `scenario`'s failure with the action, lets the run finish, and follows the record to its end. */
async function remediate(label: string, scenario: Scenario): Promise<void> {
  const { repository } = scenario;
  const run = failedRun(repository, scenario.failingJob);
  const name = failureRecordName(repository, run.id, 1);
  const started = Date.now();

  // The final job runs the action.
  // The local GitHub server is the GitHub of this run: its web pages (html_url) are on its own origin.
  const action = await runner.run({ 'github-token': WORKFLOW_TOKEN, ...scenario.inputs }, runner.runVars(run, { GITHUB_SERVER_URL: new URL(github.url).origin }));
  expect({ code: action.code, stderr: action.stderr, warnings: action.stdout.split('\n').filter((line) => line.startsWith('::warning::') || line.startsWith('::error::')) }).toEqual({
    code: 0,
    stderr: '',
    warnings: [],
  });
  expect(action.outputs).toEqual({ 'record-name': name, category: 'network_error', summary: expect.any(String) });
  expect(action.outputs.summary).not.toBe('');
  expect(action.stdout).toContain(`FailureRecord ${namespace}/${name} created`);
  expect(action.summary).toContain(`FailureRecord <code>${namespace}/${name}</code> created`);
  expect(action.summary).toContain('network_error');
  const actionCalls = byToken(repoRequests(repository), WORKFLOW_TOKEN);
  // Listing the jobs, the failed job's log, the commit's changed files: at most 2 + the failed jobs.
  expect(actionCalls.length).toBeLessThanOrEqual(2 + 1);
  expect(mutating(actionCalls)).toEqual([]);

  // The record is there, as the action described it (the operator may already be working on it).
  const reported = await getObject(k, RECORDS, namespace, name);
  expect(reported.spec).toMatchObject({
    source: 'action',
    repository,
    workflow: { runId: run.id, runAttempt: 1, event: 'push' },
    commit: { sha: run.headSha, branch: run.headBranch },
    failedJobs: [{ id: run.job(scenario.failingJob.name).id, name: scenario.failingJob.name, failedStep: scenario.failingJob.step, conclusion: 'failure' }],
  });

  // The reporting job ends; the run is complete, and only now can GitHub re-run it.
  finishRun(run);

  const record = await waitPhase(k, namespace, name, TERMINAL_PHASES, { timeoutMs: 90_000, intervalMs: 200 });
  const elapsedMs = Date.now() - started;
  expect({ phase: phaseOf(record), ready: conditionOf(record, 'Ready') }).toMatchObject({ phase: 'Succeeded', ready: { status: 'True' } });
  expect(record.status).toMatchObject({
    analysis: { category: 'network_error', proposedRemediation: { action: 'rerun-failed-jobs' } },
    gate: { decision: 'auto', policyName: 'permissive' },
    execution: { action: 'rerun-failed-jobs', result: 'succeeded', newRunAttempt: 2, verification: { runAttempt: 2, result: 'passed', conclusion: 'success' } },
  });
  expect(conditionOf(record, 'Executed')).toMatchObject({ status: 'True', reason: 'Executed' });
  expect(conditionOf(record, 'Verified')).toMatchObject({ status: 'True', reason: 'Passed' });

  // On GitHub: one re-run of the failed jobs, whose attempt went green; the passing job was carried over.
  const operatorCalls = byToken(repoRequests(repository), OPERATOR_TOKEN);
  expect(mutating(operatorCalls).map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual([
    `POST /repos/${repository}/actions/runs/${run.id}/rerun-failed-jobs 201`,
  ]);
  expect(run.reruns).toEqual([expect.objectContaining({ kind: 'rerun-failed-jobs', attempt: 2 })]);
  expect(run.latest).toMatchObject({ number: 2, status: 'completed', conclusion: 'success' });
  expect(run.latest.jobs.map((job) => [job.name, job.conclusion])).toContainEqual([scenario.failingJob.name, 'success']);
  expect(run.latest.carriedOver.map((job) => job.name)).toContain('build');
  const polls = operatorCalls.filter((request) => request.path.endsWith('/attempts/2'));
  const remediationCalls = operatorCalls.length - polls.length;
  expect(remediationCalls).toBeLessThanOrEqual(3);

  // The audit trail: every transition, in order, each starting where the previous ended, and the GitHub call.
  const trail = await eventually(
    async () => {
      const rows = await auditTrail(record.metadata.uid);
      if (rows.at(-1)?.details.to !== 'Succeeded') throw new Error(`audit trail so far: ${describeTrail(rows).join(', ')}`);
      return rows;
    },
    { timeoutMs: 15_000, description: 'the audit trail up to Succeeded' },
  );
  expect(describeTrail(trail)).toEqual([
    'Pending -> Analyzing',
    'Analyzing -> Analyzed',
    'Analyzed -> AutoApproved',
    'AutoApproved -> Executing',
    'github-call rerun-failed-jobs accepted',
    'Executing -> Verifying',
    'Verifying -> Succeeded',
  ]);
  expect(trail.find((row) => row.action === 'github-call')?.details.newRunAttempt).toBe(2);
  expect(trail.every((row) => row.record_name === name && row.repository === repository)).toBe(true);

  // What `kubectl describe` shows.
  await eventually(
    async () => {
      const reasons = (await eventsFor(k, namespace, record.metadata.uid)).map((event) => event.reason);
      expect(reasons).toEqual(expect.arrayContaining(['AutoApproved', 'Executing', 'Verifying', 'Succeeded']));
    },
    { timeoutMs: 20_000, description: 'the events of the remediation' },
  );

  // The action's own account of its time: total, of which the log download.
  const timing = /ci-remediator: created in (\d+) ms \(logs (\d+) ms/.exec(action.stdout);
  figures.push(
    `[remediation-flow] ${label}: action process ${action.wallMs} ms, its run ${timing?.[1] ?? '?'} ms of which logs ${timing?.[2] ?? '?'} ms ` +
      `(${actionCalls.length} GitHub API calls); report -> Succeeded ${elapsedMs} ms; ` +
      `remediation ${remediationCalls} GitHub calls + ${polls.length} verification polls (${polls.filter((request) => request.status === 304).length} answered 304)`,
  );
}

describe('a transient failure, reported by the action, re-run by the operator, verified green', () => {
  it('mode kubernetes: the action creates the FailureRecord through the Kubernetes API; it ends Succeeded', async () => {
    await remediate('mode kubernetes', {
      repository: 'acme/storefront',
      failingJob: { name: 'test', step: 'Run npm ci', log: NPM_LOG },
      inputs: { mode: 'kubernetes', kubeconfig: readFileSync(k.kubeconfig, 'utf8'), namespace },
    });
  }, 180_000);

  it('mode endpoint: the action POSTs the record, signed, to the operator; it ends Succeeded', async () => {
    const before = (await operator.metrics()).sum('ci_remediator_ingest_requests_total', { code: '201' });
    await remediate('mode endpoint', {
      repository: 'acme/images',
      failingJob: { name: 'image', step: 'Run docker build -t ghcr.io/acme/storefront:${GITHUB_SHA::7} .', log: DOCKER_LOG },
      inputs: { mode: 'endpoint', endpoint: `http://127.0.0.1:${operator.port}`, 'signing-secret': INGEST_SECRET },
    });
    expect((await operator.metrics()).sum('ci_remediator_ingest_requests_total', { code: '201' })).toBe(before + 1);
    const record = await getObject(k, RECORDS, namespace, failureRecordName('acme/images', github.repo('acme/images').runs[0]!.id, 1));
    expect(JSON.stringify(record)).not.toContain(DOCKER_LOG_WEBHOOK_SECRET);
  }, 180_000);
});

afterAll(() => {
  for (const line of figures) console.log(line);
});
