import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startGitHubServer, type FakeRun, type GitHubServer, type RecordedRequest, type RunSpec } from '../../support/github-server.ts';
import { createNamespace, eventsFor, eventually, getObject, GROUP, isNotFound, kube, POLICIES, RECORDS, VERSION, type CustomObject, type Kube } from '../../support/kube.ts';
import { killAllOperators, startOperator, waitReady, type OperatorOptions, type OperatorProcess } from '../../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts';
import { auditRows, conditionOf, createPolicy, failureRecord, phaseOf, TERMINAL_PHASES, waitPhase } from './fixtures.ts';

// The remediation executor end to end: a real control plane, PostgreSQL, and a local GitHub API server
// reached by the production client through --github-api-url. What a user notices: the record's phase and
// conditions, the events, the audit trail, and what happened on GitHub (re-runs, cancels, deleted caches).

let k: Kube;
let namespace: string;
let database: TestDatabase;
let github: GitHubServer;
let options: OperatorOptions;
let operator: OperatorProcess;

const ALL_ACTIONS = ['rerun-failed-jobs', 'rerun-workflow', 'clear-caches', 'notify-only'];
const NETWORK_EXCERPT = 'npm error code ECONNRESET\nnpm error network aborted\nnpm error errno ECONNRESET';
const INTEGRITY_EXCERPT = 'npm ERR! code EINTEGRITY\nnpm ERR! sha512-abc integrity checksum failed when using sha512: wanted sha512-abc but got sha512-def. (1234 bytes)';
const LINT_EXCERPT = "eslint found problems\n  12:5  error  'x' is assigned a value but never used  no-unused-vars\n✖ 1 problem (1 error, 0 warnings)";
const FAILED_JOBS: RunSpec['jobs'] = [
  { name: 'build', conclusion: 'success' },
  { name: 'test', conclusion: 'failure' },
];

beforeAll(async () => {
  k = kube();
  namespace = await createNamespace(k, 'op-exec');
  database = await createTestDatabase();
  github = await startGitHubServer({ tokens: ['ghs_operator_token'] });
  await createPolicy(k, namespace, 'auto', { repositories: ['acme/exec-*'], riskThreshold: 70, allowedActions: ALL_ACTIONS });
  // Records under these wait for a person, so a test can set the proposal (as a model analyzer would) first.
  await createPolicy(k, namespace, 'propose-workflow', { repositories: ['acme/propose-workflow'], riskThreshold: 70, protected: true, allowedActions: ALL_ACTIONS });
  await createPolicy(k, namespace, 'propose-workflow-ok', { repositories: ['acme/propose-workflow-ok'], riskThreshold: 70, protected: true, allowedActions: ALL_ACTIONS });
  await createPolicy(k, namespace, 'rollback', { repositories: ['acme/rollback-*'], riskThreshold: 70, allowedActions: ALL_ACTIONS });
  options = {
    kubeconfig: k.kubeconfig,
    namespaces: [namespace],
    databaseUrl: database.url,
    leaderElectionNamespace: namespace,
    // Short leases: the crash tests start a successor while the killed leader's Lease runs out.
    leaseDuration: '4s',
    renewDeadline: '3s',
    retryPeriod: '500ms',
    extraArgs: ['--github-api-url', github.url, '--verify-poll-interval', '1s'],
    env: { GITHUB_TOKEN: 'ghs_operator_token' },
  };
  operator = await startOperator({ ...options, identity: 'exec-1' });
  await waitReady(operator);
}, 120_000);

afterAll(async () => {
  await killAllOperators();
  await github?.close();
  await database?.drop();
});

// ------------------------------------------------------------------------------------------------ helpers

/** A FailureRecord reporting `run`'s attempt, as the action would create it (with the cache keys its log named). */
async function reportFailure(run: FakeRun, excerpt = NETWORK_EXCERPT, attempt = run.latest.number, cacheKeys?: string[]): Promise<CustomObject> {
  const body = failureRecord({ repository: run.repo.fullName, excerpt });
  const spec = body.spec as { workflow: Record<string, unknown>; commit: Record<string, unknown>; failedJobs: Array<Record<string, unknown>> };
  if (cacheKeys !== undefined) spec.failedJobs[0]!.cacheKeys = cacheKeys;
  spec.workflow.runId = run.id;
  spec.workflow.runAttempt = attempt;
  spec.workflow.url = `https://github.com/${run.repo.fullName}/actions/runs/${run.id}/attempts/${attempt}`;
  spec.commit.sha = run.headSha;
  spec.commit.branch = run.headBranch;
  return (await k.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: RECORDS, namespace, body })) as CustomObject;
}

/** The failure_history row the operator keeps for a repository and fingerprint. */
async function failureHistory(url: string, repository: string, fingerprint: string): Promise<Record<string, unknown> | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query('select * from failure_history where repository = $1 and fingerprint = $2', [repository, fingerprint]);
    return result.rows[0] as Record<string, unknown> | undefined;
  } finally {
    await client.end();
  }
}

/** The record once its remediation has ended. */
async function waitEnded(name: string): Promise<CustomObject> {
  return waitPhase(k, namespace, name, TERMINAL_PHASES);
}

/** Requests the operator sent about one run (its path and everything under it). */
function runRequests(run: FakeRun): RecordedRequest[] {
  return github.apiRequests({ path: new RegExp(`^/repos/${run.repo.fullName}/actions/runs/${run.id}(/|$)`) });
}

function mutating(requests: RecordedRequest[]): RecordedRequest[] {
  return requests.filter((request) => request.method !== 'GET');
}

async function auditKeys(record: CustomObject): Promise<Map<string, string>> {
  const rows = await auditRows(database.url, [record.metadata.uid]);
  return new Map(rows.map((row) => [row.idempotency_key.slice(record.metadata.uid.length + 1), row.outcome]));
}

async function expectAudit(record: CustomObject, expected: Record<string, string>): Promise<void> {
  const keys = await eventually(
    async () => {
      const current = await auditKeys(record);
      for (const key of Object.keys(expected)) if (!current.has(key)) throw new Error(`no audit row ${key} yet: ${JSON.stringify([...current])}`);
      return current;
    },
    { timeoutMs: 10_000, description: 'audit rows' },
  );
  expect(Object.fromEntries(keys)).toEqual(expected);
}

/** Audit rows of transitions, keyed as expectAudit reads them: a transition's row has its phase as key and outcome. */
function transitions(...phases: string[]): Record<string, string> {
  return Object.fromEntries(phases.map((phase) => [phase, phase]));
}

/** The transitions of an auto-approved record up to the intent, written before anything is called on GitHub. */
const UP_TO_EXECUTING = transitions('Analyzing', 'Analyzed', 'AutoApproved', 'Executing');

/** The audit rows of a re-run of the failed jobs (`call`: what became of the GitHub call) followed to `end`. */
function rerunTrail(end: string, call: 'accepted' | 'adopted' = 'accepted'): Record<string, string> {
  return { ...UP_TO_EXECUTING, 'github/rerun-failed-jobs': call, ...transitions('Verifying', end) };
}

async function reasonsOf(record: CustomObject): Promise<string[]> {
  return eventually(
    async () => {
      const events = await eventsFor(k, namespace, record.metadata.uid);
      const reasons = events.map((event) => event.reason ?? '');
      if (!reasons.some((reason) => TERMINAL_PHASES.includes(reason))) throw new Error(`events so far: ${reasons.join(', ')}`);
      return reasons;
    },
    { timeoutMs: 20_000, description: 'final event' },
  );
}

async function patchPolicy(name: string, path: string, value: unknown): Promise<void> {
  await k.custom.patchNamespacedCustomObject({ group: GROUP, version: VERSION, plural: POLICIES, namespace, name, body: [{ op: 'replace', path, value }] });
}

/** Gives a record these annotations (it has none before), as a person would with `kubectl annotate`. */
async function annotate(recordNamespace: string, name: string, annotations: Record<string, string>): Promise<void> {
  await k.custom.patchNamespacedCustomObject({ group: GROUP, version: VERSION, plural: RECORDS, namespace: recordNamespace, name, body: [{ op: 'add', path: '/metadata/annotations', value: annotations }] });
}

/** Sets the proposal of a record waiting for approval (as a model analyzer would write it), then lets its policy approve it. */
async function proposeThenApprove(record: CustomObject, policy: string, proposal: { action: string; params?: Record<string, string> }): Promise<void> {
  await waitPhase(k, namespace, record.metadata.name, ['AwaitingApproval']);
  await k.custom.patchNamespacedCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    plural: RECORDS,
    namespace,
    name: record.metadata.name,
    body: [{ op: 'replace', path: '/status/analysis/proposedRemediation', value: { ...proposal, rationale: 'proposed by the test' } }],
  });
  await patchPolicy(policy, '/spec/protected', false);
}

async function restartOperator(identity: string): Promise<void> {
  operator = await startOperator({ ...options, identity });
  await waitReady(operator);
}

let perRemediation = { calls: 0, polls: 0, notModified: 0 };

// ------------------------------------------------------------------------------------------------- tests

describe('execution', () => {
  it('re-runs the failed jobs of an auto-approved transient failure once, follows the new attempt with conditional requests, and ends Succeeded', async () => {
    const run = github.repo('acme/exec-web').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 4 } });
    const created = await reportFailure(run);
    const record = await waitEnded(created.metadata.name);
    expect(phaseOf(record)).toBe('Succeeded');

    expect(run.reruns).toHaveLength(1);
    expect(run.reruns[0]).toMatchObject({ kind: 'rerun-failed-jobs', attempt: 2 });
    const requests = runRequests(run);
    expect(mutating(requests).map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual([
      `POST /repos/acme/exec-web/actions/runs/${run.id}/rerun-failed-jobs 201`,
    ]);
    const polls = requests.filter((request) => request.path.endsWith('/attempts/2'));
    const conditional = polls.filter((request) => request.headers['if-none-match'] !== undefined);
    expect(conditional.length).toBeGreaterThanOrEqual(1);
    expect(conditional.every((request) => request.headers['if-none-match'] !== '')).toBe(true);
    expect(polls.filter((request) => request.status === 304).length).toBeGreaterThanOrEqual(1);
    perRemediation = { calls: requests.length - polls.length, polls: polls.length, notModified: polls.filter((request) => request.status === 304).length };
    console.log(`[execution] rerun-failed-jobs: ${perRemediation.calls} GitHub calls + ${perRemediation.polls} verification polls (${perRemediation.notModified} answered 304)`);
    expect(perRemediation.calls).toBeLessThanOrEqual(3);

    const execution = record.status?.execution as Record<string, unknown>;
    expect(execution).toMatchObject({ action: 'rerun-failed-jobs', result: 'succeeded', newRunAttempt: 2, verification: { runAttempt: 2, result: 'passed', conclusion: 'success' } });
    for (const field of ['intentRecordedAt', 'startedAt', 'finishedAt']) expect(Number.isNaN(Date.parse(String(execution[field])))).toBe(false);
    expect(Date.parse(String(execution.intentRecordedAt))).toBeLessThanOrEqual(Date.parse(String(execution.startedAt)));
    expect(conditionOf(record, 'Executed')).toMatchObject({ status: 'True', reason: 'Executed' });
    expect(conditionOf(record, 'Verified')).toMatchObject({ status: 'True', reason: 'Passed' });
    expect(conditionOf(record, 'Ready')).toMatchObject({ status: 'True', reason: 'Passed' });
    await expectAudit(record, rerunTrail('Succeeded'));
    const reasons = await reasonsOf(record);
    expect(reasons).toEqual(expect.arrayContaining(['Executing', 'Verifying', 'Succeeded']));
    await eventually(async () => {
      const metrics = await operator.metrics();
      expect(metrics.sum('ci_remediator_remediations_total', { action: 'rerun-failed-jobs', result: 'succeeded' })).toBeGreaterThanOrEqual(1);
      // What the chart's dashboard plots: time to decision and to green, the risk decided on, GitHub's answers.
      expect(metrics.sum('ci_remediator_decision_seconds_count', { decision: 'auto' })).toBeGreaterThanOrEqual(1);
      expect(metrics.sum('ci_remediator_time_to_green_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(metrics.sum('ci_remediator_risk_score_count')).toBeGreaterThanOrEqual(1);
      expect(metrics.sum('ci_remediator_github_requests_total', { code: '201' })).toBeGreaterThanOrEqual(1);
      expect(metrics.sum('ci_remediator_store_up')).toBe(1);
    });
  });

  it('ends Failed when the new attempt fails too', async () => {
    const run = github.repo('acme/exec-api').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'failure', afterPolls: 2 } });
    const created = await reportFailure(run);
    const record = await waitEnded(created.metadata.name);
    expect(phaseOf(record)).toBe('Failed');
    expect(run.reruns).toHaveLength(1);
    expect(record.status?.execution).toMatchObject({ result: 'succeeded', verification: { result: 'failed', conclusion: 'failure' } });
    expect(conditionOf(record, 'Verified')).toMatchObject({ status: 'False', reason: 'VerificationFailed' });
    expect(conditionOf(record, 'Ready')).toMatchObject({ status: 'False', reason: 'VerificationFailed' });
    expect(conditionOf(record, 'Verified')?.message).toMatch(/attempt 2 ended 'failure'/);
    await expectAudit(record, rerunTrail('Failed'));
  });

  it('remembers what a re-run fixed: the next failure with the same fingerprint is analyzed as a flaky test', async () => {
    const excerpt = 'The job running on runner GitHub Actions 2 has exceeded the maximum execution time of 60 minutes.\nThe operation was canceled.';
    const repo = github.repo('acme/exec-flaky');
    const first = await reportFailure(repo.addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 1 } }), excerpt);
    const fixed = await waitEnded(first.metadata.name);
    expect(phaseOf(fixed)).toBe('Succeeded');
    expect(fixed.status?.analysis).toMatchObject({ category: 'timeout' });
    const fingerprint = (first.spec as { fingerprint: string }).fingerprint;
    await eventually(async () => {
      const history = await failureHistory(database.url, 'acme/exec-flaky', fingerprint);
      expect(history).toMatchObject({ occurrences: 1, remediation_attempts: 1, remediation_successes: 1, last_outcome: 'fixed' });
    });

    const second = await reportFailure(repo.addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 1 } }), excerpt);
    const again = await waitEnded(second.metadata.name);
    const analysis = again.status?.analysis as { category: string; reasoning: string; rule?: string };
    expect(analysis.category).toBe('flaky_test');
    expect(analysis.reasoning).toMatch(/Failure history: seen 1 times, a re-run fixed it 1 times/);
    expect(analysis.rule).toMatch(/history\.rerun-fixed/);
    // Each record counts once, however often it was reconciled.
    await eventually(async () => {
      expect(await failureHistory(database.url, 'acme/exec-flaky', fingerprint)).toMatchObject({ occurrences: 2, remediation_attempts: 2, remediation_successes: 2 });
    });
  });

  it('waits for a run that is still finishing (the action reports from its last job), then re-runs it', async () => {
    const run = github.repo('acme/exec-slow').addRun({ jobs: [{ name: 'test', conclusion: 'failure' }, { name: 'report', status: 'in_progress' }] });
    const created = await reportFailure(run);
    await eventually(
      async () => {
        const record = await getObject(k, RECORDS, namespace, created.metadata.name);
        expect(phaseOf(record)).toBe('AutoApproved');
        expect(conditionOf(record, 'Executed')).toMatchObject({ status: 'Unknown', reason: 'WaitingForRun' });
        expect(conditionOf(record, 'Executed')?.message).toMatch(/still 'in_progress'; GitHub re-runs only a finished run/);
      },
      { timeoutMs: 30_000, description: 'waiting for the run' },
    );
    expect(mutating(runRequests(run))).toHaveLength(0);
    run.latest.complete('failure');
    const record = await waitEnded(created.metadata.name);
    expect(phaseOf(record)).toBe('Succeeded');
    expect(run.reruns).toHaveLength(1);
  });

  it('changes nothing on GitHub for notify-only', async () => {
    const repo = github.repo('acme/exec-lint');
    const run = repo.addRun({ jobs: [{ name: 'lint', conclusion: 'failure' }] });
    const created = await reportFailure(run, LINT_EXCERPT);
    const record = await waitEnded(created.metadata.name);
    expect(phaseOf(record)).toBe('Succeeded');
    expect(record.status?.execution).toMatchObject({ action: 'notify-only', result: 'succeeded', output: expect.stringMatching(/^notify-only: nothing was changed on GitHub/) });
    expect(conditionOf(record, 'Executed')).toMatchObject({ status: 'True', reason: 'NotifyOnly' });
    expect(conditionOf(record, 'Verified')).toMatchObject({ status: 'True', reason: 'NothingToVerify' });
    expect(github.apiRequests({ path: /^\/repos\/acme\/exec-lint\// })).toHaveLength(0);
    await expectAudit(record, { ...UP_TO_EXECUTING, ...transitions('Verifying', 'Succeeded') });
  });

  it('clears only the caches under the key prefix of the caches the failed job restored, then re-runs the failed jobs', async () => {
    const repo = github.repo('acme/exec-caches');
    // The key the action found in the job's log: the family's prefix, then the lockfile's hash.
    const restored = 'npm-linux-0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f';
    const keep = ['pip-linux-3f2a', 'npm-macos-77aa', 'xnpm-linux-1', 'npm-linux'];
    const clear = [restored, 'npm-linux-9e8f'];
    for (const key of [...keep, ...clear]) repo.addCache({ key });
    const run = repo.addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 2 } });
    const created = await reportFailure(run, INTEGRITY_EXCERPT, run.latest.number, [restored]);
    const record = await waitEnded(created.metadata.name);
    expect(phaseOf(record)).toBe('Succeeded');
    expect((record.status?.analysis as { proposedRemediation?: unknown }).proposedRemediation).toMatchObject({ action: 'clear-caches', params: { keyPrefix: 'npm-linux-' } });
    expect(repo.caches.map((cache) => cache.key).sort()).toEqual([...keep].sort());
    const deletes = github.apiRequests({ method: 'DELETE', path: /^\/repos\/acme\/exec-caches\/actions\/caches\// });
    expect(deletes).toHaveLength(2);
    expect(run.reruns).toEqual([expect.objectContaining({ kind: 'rerun-failed-jobs', attempt: 2 })]);
    expect(String((record.status?.execution as { output?: string }).output)).toContain(`deleted 2 cache(s): ${restored}, npm-linux-9e8f`);
    // The deletes come before the re-run.
    const order = github.apiRequests({ path: /^\/repos\/acme\/exec-caches\// }).filter((request) => request.method !== 'GET');
    expect(order.map((request) => request.method)).toEqual(['DELETE', 'DELETE', 'POST']);
  });

  it('re-runs the whole workflow when the branch still points at the run\'s commit', async () => {
    const repo = github.repo('acme/propose-workflow-ok');
    const run = repo.addRun({ jobs: FAILED_JOBS, headBranch: 'main', headSha: 'e'.repeat(40), onRerun: { conclusion: 'success', afterPolls: 2 } });
    repo.setBranch('main', run.headSha);
    const created = await reportFailure(run);
    await proposeThenApprove(created, 'propose-workflow-ok', { action: 'rerun-workflow' });
    const record = await waitEnded(created.metadata.name);
    expect(phaseOf(record)).toBe('Succeeded');
    expect(run.reruns).toEqual([expect.objectContaining({ kind: 'rerun', attempt: 2 })]);
    // Every job ran again, the one that had passed too.
    expect(run.latest.jobs.map((job) => job.name).sort()).toEqual(['build', 'test']);
    const requests = runRequests(run).filter((request) => !request.path.endsWith('/attempts/2'));
    const branch = github.apiRequests({ path: '/repos/acme/propose-workflow-ok/branches/main' });
    console.log(`[execution] rerun-workflow: ${requests.length + branch.length} GitHub calls + verification polls`);
    expect(requests.length + branch.length).toBeLessThanOrEqual(3);
  });

  it('survives a GitHub 5xx on the re-run: retried without a second effect', async () => {
    const run = github.repo('acme/exec-flaky').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 2 } });
    github.inject({ kind: 'status', status: 502, method: 'POST', path: `/repos/acme/exec-flaky/actions/runs/${run.id}/rerun-failed-jobs` });
    const created = await reportFailure(run);
    const record = await waitEnded(created.metadata.name);
    expect(phaseOf(record)).toBe('Succeeded');
    expect(run.reruns).toHaveLength(1);
    expect(mutating(runRequests(run)).map((request) => request.status)).toEqual([502, 201]);
    await expectAudit(record, rerunTrail('Succeeded'));
  });
});

describe('preconditions', () => {
  async function expectRefused(run: FakeRun, created: CustomObject, reason: RegExp, rerunsBefore = 0): Promise<CustomObject> {
    const record = await waitEnded(created.metadata.name);
    expect(phaseOf(record)).toBe('Failed');
    expect(conditionOf(record, 'Executed')).toMatchObject({ status: 'False', reason: 'PreconditionFailed' });
    expect(conditionOf(record, 'Executed')?.message).toMatch(reason);
    expect(record.status?.execution).toMatchObject({ result: 'failed', output: expect.stringMatching(reason) });
    expect(mutating(runRequests(run))).toHaveLength(0);
    expect(run.reruns).toHaveLength(rerunsBefore);
    await expectAudit(record, { ...UP_TO_EXECUTING, ...transitions('Failed') });
    const events = await eventsFor(k, namespace, record.metadata.uid);
    expect(events.find((event) => event.reason === 'Failed')?.message).toMatch(reason);
    return record;
  }

  it('refuses when someone re-ran the run since the failure was reported', async () => {
    const run = github.repo('acme/exec-rerun-by-hand').addRun({ jobs: FAILED_JOBS });
    // Attempt 2 exists before the operator gets to it (a person clicked "Re-run failed jobs").
    run.startAttempt('rerun-failed-jobs').complete('failure');
    const created = await reportFailure(run, NETWORK_EXCERPT, 1);
    await expectRefused(run, created, /has been re-run since this failure was reported: its latest attempt is 2, this record is about attempt 1/, 1);
  });

  it('refuses a run attempted 50 times', async () => {
    const run = github.repo('acme/exec-fifty').addRun({ jobs: FAILED_JOBS });
    for (let i = 2; i <= 50; i++) run.startAttempt('rerun-failed-jobs').complete('failure');
    const created = await reportFailure(run, NETWORK_EXCERPT, 50);
    await expectRefused(run, created, /already been attempted 50 times/, 49);
  });

  it('refuses a run older than 30 days', async () => {
    const run = github.repo('acme/exec-old').addRun({ jobs: FAILED_JOBS, createdAt: new Date(Date.now() - 31 * 24 * 3600_000) });
    const created = await reportFailure(run);
    await expectRefused(run, created, /created 31 days ago; GitHub re-runs only runs from the last 30 days/);
  });

  it('refuses rerun-workflow once the branch has moved on', async () => {
    const repo = github.repo('acme/propose-workflow');
    const run = repo.addRun({ jobs: FAILED_JOBS, headBranch: 'feature/x', headSha: 'c'.repeat(40) });
    repo.setBranch('feature/x', 'd'.repeat(40));
    const created = await reportFailure(run);
    await proposeThenApprove(created, 'propose-workflow', { action: 'rerun-workflow' });
    const record = await waitEnded(created.metadata.name);
    expect(phaseOf(record)).toBe('Failed');
    expect(conditionOf(record, 'Executed')).toMatchObject({ status: 'False', reason: 'PreconditionFailed' });
    expect(conditionOf(record, 'Executed')?.message).toMatch(/branch 'feature\/x' has moved from ccccccc \(the failed run's commit\) to ddddddd/);
    expect(mutating(runRequests(run))).toHaveLength(0);
    expect(github.apiRequests({ path: /^\/repos\/acme\/propose-workflow\/branches\/feature(%2F|\/)x$/i })).toHaveLength(1);
  });
});

describe('rollback', () => {
  it('cancels a re-run still in progress when its policy now blocks the remediation: RolledBack', async () => {
    const run = github.repo('acme/rollback-policy').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 10_000 } });
    const created = await reportFailure(run);
    await waitPhase(k, namespace, created.metadata.name, ['Verifying']);
    await patchPolicy('rollback', '/spec/suspend', true);
    const record = await waitEnded(created.metadata.name);
    expect(phaseOf(record)).toBe('RolledBack');
    expect(run.cancels).toBe(1);
    expect(run.latest).toMatchObject({ number: 2, status: 'completed', conclusion: 'cancelled' });
    expect(record.status?.execution).toMatchObject({
      rollback: { action: 'cancel-run', result: 'succeeded', reason: expect.stringMatching(/policy 'rollback' now blocks this remediation: policy 'rollback' is suspended/) },
      verification: { result: 'inconclusive' },
    });
    expect(conditionOf(record, 'Verified')).toMatchObject({ status: 'False', reason: 'Aborted' });
    await expectAudit(record, {
      ...UP_TO_EXECUTING,
      'github/rerun-failed-jobs': 'accepted',
      Verifying: 'Verifying',
      'github/cancel-run': 'accepted',
      ...transitions('Failed', 'RolledBack'),
    });
    expect(await reasonsOf(record)).toContain('RolledBack');
    await patchPolicy('rollback', '/spec/suspend', false);
  });

  it('cancels a re-run when a person aborts the remediation with the annotation', async () => {
    const run = github.repo('acme/exec-abort').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 10_000 } });
    const created = await reportFailure(run);
    await waitPhase(k, namespace, created.metadata.name, ['Verifying']);
    await annotate(namespace, created.metadata.name, { 'ci-remediator.dev/abort': 'wrong fix' });
    const record = await waitEnded(created.metadata.name);
    expect(phaseOf(record)).toBe('RolledBack');
    expect(run.cancels).toBe(1);
    expect((record.status?.execution as { rollback?: { reason?: string } }).rollback?.reason).toMatch(/aborted by the ci-remediator.dev\/abort annotation: wrong fix/);
  });

  it('cancels a re-run in progress when its record is deleted, and audits it', async () => {
    const run = github.repo('acme/exec-deleted').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 10_000 } });
    const created = await reportFailure(run);
    const verifying = await waitPhase(k, namespace, created.metadata.name, ['Verifying']);
    await k.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: RECORDS, namespace, name: created.metadata.name });
    await eventually(() => isNotFound(() => getObject(k, RECORDS, namespace, created.metadata.name)).then((gone) => expect(gone).toBe(true)), {
      timeoutMs: 30_000,
      description: 'record deleted',
    });
    expect(run.cancels).toBe(1);
    const keys = await auditKeys(verifying);
    expect(keys.get('github/cancel-run')).toBe('accepted');
    expect(keys.get('RolledBack')).toBe('RolledBack');
    expect(keys.get('Deleted')).toBe('Deleted');
  });
});

describe('without GitHub credentials', () => {
  it('leaves an auto-approved record AutoApproved, saying why, without retrying in a loop', async () => {
    const bare = await createNamespace(k, 'op-exec-bare');
    await createPolicy(k, bare, 'auto', { repositories: ['acme/*'], riskThreshold: 70 });
    const plain = await startOperator({ kubeconfig: k.kubeconfig, namespaces: [bare], databaseUrl: database.url, leaderElect: false, identity: 'exec-bare', extraArgs: ['--github-api-url', github.url] });
    await waitReady(plain);
    const run = github.repo('acme/bare').addRun({ jobs: FAILED_JOBS });
    const body = failureRecord({ repository: 'acme/bare' });
    (body.spec as { workflow: Record<string, unknown> }).workflow.runId = run.id;
    const created = (await k.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: RECORDS, namespace: bare, body })) as CustomObject;
    const record = await eventually(
      async () => {
        const current = await getObject(k, RECORDS, bare, created.metadata.name);
        expect(conditionOf(current, 'Executed')).toMatchObject({ status: 'False', reason: 'GitHubNotConfigured' });
        return current;
      },
      { timeoutMs: 30_000, description: 'GitHubNotConfigured' },
    );
    expect(phaseOf(record)).toBe('AutoApproved');
    expect(conditionOf(record, 'Executed')?.message).toMatch(/no GitHub credentials: set GITHUB_TOKEN, --github-token-file or the --github-app-\* flags/);
    expect(conditionOf(record, 'Ready')).toMatchObject({ status: 'False', reason: 'GitHubNotConfigured' });
    await plain.waitForLog((line) => line.msg === 'no GitHub credentials: remediations are not executed (AutoApproved records wait with Executed=False GitHubNotConfigured)', 1000, 'the start-up warning');
    // Nothing happens after that, however often the record is reconciled: no GitHub request, no status write, no error.
    const reconciles = async () => (await plain.metrics()).sum('ci_remediator_reconcile_total', { controller: 'failurerecord' });
    const before = await reconciles();
    await annotate(bare, created.metadata.name, { 'example.com/touched': 'yes' });
    await eventually(async () => expect(await reconciles()).toBeGreaterThan(before), { timeoutMs: 20_000, description: 'the record reconciled again' });
    const later = await getObject(k, RECORDS, bare, created.metadata.name);
    expect(later.status).toEqual(record.status);
    expect(runRequests(run)).toHaveLength(0);
    expect((await plain.metrics()).sum('ci_remediator_reconcile_errors_total', { controller: 'failurerecord' })).toBe(0);
    await plain.stop();
  });
});

describe('at most once across a crash', () => {
  it('adopts the re-run GitHub accepted before the operator was killed, instead of calling again', async () => {
    const run = github.repo('acme/exec-crash-after').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 2 } });
    // GitHub does the re-run at once; only its answer is held, so the operator never learns it happened.
    const hold = github.inject({ kind: 'hold', applyEffect: 'on-arrival', method: 'POST', path: `/repos/acme/exec-crash-after/actions/runs/${run.id}/rerun-failed-jobs` });
    const created = await reportFailure(run);
    await hold.reached;
    const executing = await getObject(k, RECORDS, namespace, created.metadata.name);
    expect(phaseOf(executing)).toBe('Executing');
    expect((executing.status?.execution as { intentRecordedAt?: string; startedAt?: string }).startedAt).toBeUndefined();
    await operator.stop('SIGKILL');
    hold.release();
    expect(run.reruns).toHaveLength(1);

    await restartOperator('exec-2');
    const record = await waitEnded(created.metadata.name);
    expect(phaseOf(record)).toBe('Succeeded');
    expect(run.reruns).toHaveLength(1);
    expect(mutating(runRequests(run))).toHaveLength(1);
    expect(conditionOf(record, 'Executed')).toMatchObject({ status: 'True', reason: 'Adopted' });
    expect(record.status?.execution).toMatchObject({ newRunAttempt: 2, output: expect.stringMatching(/found attempt 2 on GitHub: the earlier call had gone through, so it was not made again/) });
    await expectAudit(record, rerunTrail('Succeeded', 'adopted'));
  });

  it('calls once after a restart when the operator died before its call reached GitHub; the dead call arriving late is refused', async () => {
    const run = github.repo('acme/exec-crash-before').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 6 } });
    // The request is held before GitHub acts on it: the operator dies with its call not yet received.
    const hold = github.inject({ kind: 'hold', applyEffect: 'on-release', method: 'POST', path: `/repos/acme/exec-crash-before/actions/runs/${run.id}/rerun-failed-jobs` });
    const created = await reportFailure(run);
    await hold.reached;
    await operator.stop('SIGKILL');
    expect(run.reruns).toHaveLength(0);

    await restartOperator('exec-3');
    await eventually(() => expect(run.reruns).toHaveLength(1), { timeoutMs: 60_000, intervalMs: 20, description: 'the successor re-ran the run' });
    // Now the dead process's request "arrives": GitHub refuses it, because the run is being re-run.
    hold.release();
    const record = await waitEnded(created.metadata.name);
    expect(phaseOf(record)).toBe('Succeeded');
    expect(run.reruns).toHaveLength(1);
    expect(conditionOf(record, 'Executed')).toMatchObject({ status: 'True', reason: 'Executed' });
  });
});

afterAll(() => {
  if (perRemediation.calls > 0) {
    console.log(`[execution] per remediation: ${perRemediation.calls} calls + ${perRemediation.polls} polls (${perRemediation.notModified} x 304)`);
  }
});
