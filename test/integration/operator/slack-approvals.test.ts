import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGitHubServer, type FakeRun, type GitHubServer, type RunSpec } from '../../support/github-server.ts';
import { createNamespace, createObject, eventually, getObject, GROUP, kube, POLICIES, RECORDS, VERSION, type CustomObject, type Kube } from '../../support/kube.ts';
import { killAllOperators, startOperator, waitReady, type OperatorOptions, type OperatorProcess } from '../../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts';
import { SlackServer, TEST_APP_TOKEN, TEST_BOT_TOKEN, blockActionsPayload, signedInteraction, type StoredMessage } from '../../support/slack-server.ts';
import { auditRows, conditionOf, failureRecord, phaseOf, waitPhase } from './fixtures.ts';

// Slack approvals through the operator, end to end: the operator process (bin/ci-remediator.js operator) with
// --slack-api-url pointing at the local Slack Web API server, the real control plane, PostgreSQL and the local
// GitHub server. Clicks arrive as Slack sends them: signed form posts to POST /slack/events (HTTP mode), or
// envelopes over the Socket Mode WebSocket. What a user notices: the card and thread in Slack, the ephemeral
// refusals, the record's phase, the re-runs on GitHub and the audit trail.

const SECRET = 'e2esigningsecret0123456789abcdef';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const CI = 'C0CIFAIL01';
const ALERTS = 'C0ALERTS01';
const APPROVE = 'ci_remediator_approve';
const REJECT = 'ci_remediator_reject';
const NETWORK_EXCERPT = 'npm error code ECONNRESET\nnpm error network aborted\nnpm error errno ECONNRESET';
const FAILED_JOBS: RunSpec['jobs'] = [
  { name: 'build', conclusion: 'success' },
  { name: 'test', conclusion: 'failure' },
];

let k: Kube;
let namespace: string;
let database: TestDatabase;
let github: GitHubServer;
let slack: SlackServer;
let options: OperatorOptions;
let operator: OperatorProcess;
/** Created first, under a one-minute approval timeout, so its minute runs while the other tests do. */
let expiring: CustomObject;

function policy(name: string, repositories: string[], approval: Record<string, unknown>): object {
  return {
    apiVersion: 'ci-remediator.dev/v1alpha1',
    kind: 'RemediationPolicy',
    metadata: { name },
    // protected: every remediation needs a person, however low the risk.
    spec: { repositories, riskThreshold: 70, protected: true, allowedActions: ['rerun-failed-jobs', 'notify-only'], approval },
  };
}

function operatorOptions(env: Record<string, string> = {}, socket = false): OperatorOptions {
  return {
    ...options,
    env: {
      GITHUB_TOKEN: 'ghs_operator_token',
      SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
      ...(socket ? { SLACK_APP_TOKEN: TEST_APP_TOKEN } : { SLACK_SIGNING_SECRET: SECRET }),
      ...env,
    },
  };
}

async function startLeader(identity: string, env: Record<string, string> = {}, socket = false): Promise<OperatorProcess> {
  const started = await startOperator({ ...operatorOptions(env, socket), identity });
  await started.waitForLog((line) => line.msg === 'caches synced; controllers started', 60_000, 'leadership');
  await waitReady(started);
  return started;
}

beforeAll(async () => {
  k = kube();
  namespace = await createNamespace(k, 'op-slack');
  database = await createTestDatabase();
  github = await startGitHubServer({ tokens: ['ghs_operator_token'] });
  slack = await new SlackServer({
    users: [
      { id: ALICE, name: 'alice', profile: { email: 'alice@acme.example' } },
      { id: BOB, name: 'bob', profile: { email: 'bob@acme.example' } },
    ],
  }).start();
  await createObject(k, POLICIES, namespace, policy('approve-web', ['acme/slack-*'], { approvers: { users: [ALICE] }, escalationChannel: '#alerts' }));
  await createObject(k, POLICIES, namespace, policy('approve-quickly', ['acme/expire-*'], { approvers: { users: [ALICE] }, escalationChannel: '#alerts', timeout: '1m' }));
  options = {
    kubeconfig: k.kubeconfig,
    namespaces: [namespace],
    databaseUrl: database.url,
    leaderElectionNamespace: namespace,
    // Short leases: the crash tests start a successor while the killed leader's Lease runs out.
    leaseDuration: '4s',
    renewDeadline: '3s',
    retryPeriod: '500ms',
    extraArgs: ['--github-api-url', github.url, '--verify-poll-interval', '1s', '--slack-api-url', slack.apiUrl, '--slack-default-channel', '#ci'],
  };
  operator = await startLeader('slack-1');
  const run = github.repo('acme/expire-web').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 1 } });
  expiring = await reportFailure(run);
}, 120_000);

afterAll(async () => {
  await killAllOperators();
  await slack?.stop();
  await github?.close();
  await database?.drop();
});

// ------------------------------------------------------------------------------------------------ helpers

async function reportFailure(run: FakeRun): Promise<CustomObject> {
  const body = failureRecord({ repository: run.repo.fullName, excerpt: NETWORK_EXCERPT });
  const spec = body.spec as { workflow: Record<string, unknown>; commit: Record<string, unknown> };
  spec.workflow.runId = run.id;
  spec.workflow.runAttempt = run.latest.number;
  spec.workflow.url = `https://github.com/${run.repo.fullName}/actions/runs/${run.id}/attempts/${run.latest.number}`;
  spec.commit.sha = run.headSha;
  spec.commit.branch = run.headBranch;
  return (await k.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: RECORDS, namespace, body })) as CustomObject;
}

interface Card {
  channel: string;
  ts: string;
  message: StoredMessage;
  value: string;
}

/** The approval card of a record: where status says it is, and its Approve button's value as Slack shows it. */
async function waitCard(name: string): Promise<Card> {
  return eventually(
    async () => {
      const record = await getObject(k, RECORDS, namespace, name);
      const where = (record.status?.approval as { slack?: { channel: string; ts: string } } | undefined)?.slack;
      if (where === undefined) throw new Error(`no card in status yet: ${JSON.stringify(record.status ?? {}).slice(0, 800)}`);
      const message = slack.message(where.channel, where.ts);
      if (message === undefined) throw new Error(`status names card ${where.ts}, which Slack does not have`);
      const value = JSON.stringify(message.blocks).match(/"value":"(cir1:[^"]+)"/)?.[1];
      if (value === undefined) throw new Error(`the card has no button: ${JSON.stringify(message.blocks)}`);
      return { ...where, message, value };
    },
    { timeoutMs: 60_000, intervalMs: 200, description: `approval card of ${name}` },
  );
}

function clickPayload(card: Card, user: string, actionId = APPROVE): object {
  return blockActionsPayload({ userId: user, channel: card.channel, messageTs: card.ts, actionId, value: card.value });
}

/** A click as Slack sends it over HTTP: a signed form post to the operator's /slack/events. */
async function click(target: OperatorProcess, card: Card, user: string, actionId = APPROVE): Promise<number> {
  const { body, headers } = signedInteraction(clickPayload(card, user, actionId), SECRET);
  const response = await fetch(`http://127.0.0.1:${target.port}/slack/events`, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
  await response.text();
  return response.status;
}

/** chat.update calls for one message (the card): how many times it was replaced. */
function updatesOf(card: { channel: string; ts: string }): number {
  return slack.requests.filter((request) => request.method === 'chat.update' && request.args.ts === card.ts && request.args.channel === card.channel).length;
}

async function ephemeralFor(user: string, containing: RegExp, after: number): Promise<string> {
  return eventually(
    async () => {
      const found = slack.ephemerals.slice(after).find((message) => message.user === user && containing.test(message.text ?? ''));
      if (found === undefined) throw new Error(`no ephemeral for ${user} matching ${containing}: ${JSON.stringify(slack.ephemerals.slice(after))}`);
      return found.text ?? '';
    },
    { timeoutMs: 15_000, description: 'ephemeral refusal' },
  );
}

async function auditOf(record: CustomObject): Promise<Array<{ key: string; action: string; outcome: string; actor: string; actorType: string }>> {
  return (await auditRows(database.url, [record.metadata.uid])).map((row) => ({
    key: row.idempotency_key.slice(record.metadata.uid.length + 1),
    action: row.action,
    outcome: row.outcome,
    actor: row.actor,
    actorType: row.actor_type,
  }));
}

function threadOf(record: CustomObject): { channel: string; ts: string } {
  const thread = record.status?.slack as { channel: string; ts: string } | undefined;
  if (thread === undefined) throw new Error(`no thread in status: ${JSON.stringify(record.status)}`);
  return thread;
}

/** Waits until the operator has sent nothing to Slack for 1.5 s (its queue of earlier records' messages is empty). */
async function slackQuiet(): Promise<void> {
  for (let count = -1; count !== slack.requests.length; ) {
    count = slack.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  }
}

// ------------------------------------------------------------------------------------------------- tests

describe('Slack approvals through the operator', () => {
  it('posts a card, takes an allowed approver\'s click, re-runs once and ends Succeeded, with the card and the thread updated', async () => {
    const run = github.repo('acme/slack-web').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 1 } });
    const created = await reportFailure(run);
    const waiting = await waitPhase(k, namespace, created.metadata.name, ['AwaitingApproval']);
    // A record awaiting approval with Slack configured says nothing about Slack missing.
    expect(conditionOf(waiting, 'SlackNotified')).toBeUndefined();
    const card = await waitCard(created.metadata.name);
    const thread = threadOf(await getObject(k, RECORDS, namespace, created.metadata.name));
    expect(thread.channel).toBe(CI);
    // The card is a reply in the record's thread, with Approve and Reject.
    expect(card.message.thread_ts).toBe(thread.ts);
    expect(JSON.stringify(card.message.blocks)).toContain(REJECT);
    expect(run.reruns).toHaveLength(0);

    expect(await click(operator, card, ALICE)).toBe(200);
    const approved = await waitPhase(k, namespace, created.metadata.name, ['Approved', 'Executing', 'Verifying', 'Succeeded'], { timeoutMs: 15_000, intervalMs: 50 });
    expect(approved.status?.approval).toMatchObject({ decision: 'approved', decidedBy: ALICE });
    const done = await waitPhase(k, namespace, created.metadata.name, ['Succeeded'], { timeoutMs: 60_000 });
    expect(run.reruns).toHaveLength(1);

    // The card now says who approved it, and has no buttons left to click; it was replaced once.
    await eventually(async () => {
      const now = slack.message(card.channel, card.ts)!;
      expect(now.text).toMatch(/^Approved by/);
      expect(JSON.stringify(now.blocks)).not.toContain(APPROVE);
    });
    expect(updatesOf(card)).toBe(1);
    // The thread's parent follows the record to its end, and the result is a reply in the thread.
    await eventually(async () => {
      const parent = slack.message(thread.channel, thread.ts)!;
      expect(parent.edited).toBe(true);
      expect(JSON.stringify(parent.blocks)).toContain(':large_green_circle: Fixed');
      expect(slack.replies(thread.channel, thread.ts).some((reply) => /^Fixed: /.test(reply.text ?? '') && JSON.stringify(reply.blocks).includes('Verification: passed'))).toBe(true);
    });
    const audit = await auditOf(done);
    expect(audit.filter((row) => row.action === 'slack-click')).toEqual([expect.objectContaining({ action: 'slack-click', outcome: 'approved' })]);
    // The transition names the person who decided, not the operator that wrote it.
    expect(audit.filter((row) => row.key === 'Approved')).toEqual([expect.objectContaining({ actor: ALICE, actorType: 'slack' })]);
    expect(audit.map((row) => row.key)).toEqual(expect.arrayContaining(['AwaitingApproval', 'Approved', 'Executing', 'Verifying', 'Succeeded']));

    // A second click on the (already replaced) card: refused, ephemerally, naming who decided.
    const before = slack.ephemerals.length;
    expect(await click(operator, card, ALICE)).toBe(200);
    expect(await ephemeralFor(ALICE, /already approved by/, before)).toContain(ALICE);
    expect(run.reruns).toHaveLength(1);
  }, 90_000);

  it('refuses a click by someone who is not an approver, and a forged signature, without deciding', async () => {
    const run = github.repo('acme/slack-api').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 1 } });
    const created = await reportFailure(run);
    const card = await waitCard(created.metadata.name);
    const before = slack.ephemerals.length;
    expect(await click(operator, card, BOB)).toBe(200);
    await ephemeralFor(BOB, /approver/i, before);
    const { body, headers } = signedInteraction(clickPayload(card, ALICE), 'not-the-signing-secret-0123456789');
    const forged = await fetch(`http://127.0.0.1:${operator.port}/slack/events`, { method: 'POST', headers, body });
    expect(forged.status).toBe(401);
    await forged.text();
    // Then Reject by the approver: Rejected, nothing runs, the card says so.
    expect(await click(operator, card, ALICE, REJECT)).toBe(200);
    const rejected = await waitPhase(k, namespace, created.metadata.name, ['Rejected'], { timeoutMs: 15_000 });
    expect(rejected.status?.approval).toMatchObject({ decision: 'rejected', decidedBy: ALICE });
    await eventually(async () => expect(slack.message(card.channel, card.ts)!.text).toMatch(/^Rejected by/));
    expect(run.reruns).toHaveLength(0);
    const clicks = (await auditOf(rejected)).filter((row) => row.action === 'slack-click').map((row) => row.outcome);
    expect(clicks.sort()).toEqual(['refused', 'rejected']);
  });

  it('two replicas receiving the same click: one decision, one execution; a standby writes the decision under the same precondition', async () => {
    const standby = await startOperator({ ...operatorOptions(), identity: 'slack-standby' });
    await waitReady(standby);
    const run = github.repo('acme/slack-two').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 1 } });
    const created = await reportFailure(run);
    const card = await waitCard(created.metadata.name);
    // The very same signed request, delivered to both pods behind the Service at once.
    const { body, headers } = signedInteraction(clickPayload(card, ALICE), SECRET);
    const before = slack.ephemerals.length;
    const answers = await Promise.all(
      [operator, standby].map(async (target) => {
        const response = await fetch(`http://127.0.0.1:${target.port}/slack/events`, { method: 'POST', headers, body });
        await response.text();
        return response.status;
      }),
    );
    expect(answers).toEqual([200, 200]);
    const done = await waitPhase(k, namespace, created.metadata.name, ['Succeeded'], { timeoutMs: 60_000 });
    expect(run.reruns).toHaveLength(1);
    expect((await auditOf(done)).filter((row) => row.key === 'Approved')).toHaveLength(1);
    // The replica that lost the race says so to the clicker.
    await ephemeralFor(ALICE, /already approved by/, before);
    await eventually(async () => expect(slack.message(card.channel, card.ts)!.text).toMatch(/^Approved by/));
    await standby.stop();
  }, 90_000);

  it('a message Slack refuses leaves a condition on the record and a metric, alerts once, and the record still waits for a decision', async () => {
    // The next message to Slack is refused (whichever record's it is: the one created next must be it).
    await slackQuiet();
    slack.inject('chat.postMessage', { error: 'invalid_auth' });
    const run = github.repo('acme/slack-refused').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 1 } });
    const created = await reportFailure(run);
    const record = await eventually(
      async () => {
        const current = await getObject(k, RECORDS, namespace, created.metadata.name);
        expect(conditionOf(current, 'SlackDelivered')).toMatchObject({ status: 'False', reason: 'SlackDeliveryFailed' });
        return current;
      },
      { timeoutMs: 30_000, description: 'SlackDelivered=False' },
    );
    expect(conditionOf(record, 'SlackDelivered')?.message).toMatch(/^[a-z-]+ to (#ci|C0CIFAIL01) failed: invalid_auth$/);
    expect(phaseOf(record)).toBe('AwaitingApproval');
    const metrics = await operator.metrics();
    expect(metrics.sum('ci_remediator_slack_delivery_failures_total')).toBeGreaterThanOrEqual(1);
    await eventually(async () => expect(slack.parents(CI).filter((message) => /SlackCredentialsRefused/.test(message.text ?? ''))).toHaveLength(1));
  });

  it('a leader killed between the status write and the card update: one decision, one execution, one card update', async () => {
    await operator.stop();
    const crashing = await startLeader('slack-crash-after', { CI_REMEDIATOR_TEST_CRASH: 'after-decision-write' });
    const run = github.repo('acme/slack-crash-after').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 1 } });
    const created = await reportFailure(run);
    const card = await waitCard(created.metadata.name);
    expect(await click(crashing, card, ALICE)).toBe(200);
    const exit = await crashing.exited;
    expect(exit.signal).toBe('SIGKILL');
    // The decision was written; nothing ran and the card still shows its buttons.
    expect(phaseOf(await getObject(k, RECORDS, namespace, created.metadata.name))).toBe('Approved');
    expect(updatesOf(card)).toBe(0);

    operator = await startLeader('slack-2');
    const done = await waitPhase(k, namespace, created.metadata.name, ['Succeeded'], { timeoutMs: 60_000 });
    expect(run.reruns).toHaveLength(1);
    await eventually(async () => expect(slack.message(card.channel, card.ts)!.text).toMatch(/^Approved by/));
    expect(updatesOf(card)).toBe(1);
    expect((await auditOf(done)).filter((row) => row.key === 'Approved')).toHaveLength(1);
  });

  it('a leader killed between the click and the status write: nothing decided; the next click decides once', async () => {
    await operator.stop();
    const crashing = await startLeader('slack-crash-before', { CI_REMEDIATOR_TEST_CRASH: 'before-decision-write' });
    const run = github.repo('acme/slack-crash-before').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 1 } });
    const created = await reportFailure(run);
    const card = await waitCard(created.metadata.name);
    expect(await click(crashing, card, ALICE)).toBe(200);
    expect((await crashing.exited).signal).toBe('SIGKILL');
    expect(phaseOf(await getObject(k, RECORDS, namespace, created.metadata.name))).toBe('AwaitingApproval');

    operator = await startLeader('slack-3');
    expect(await click(operator, card, ALICE)).toBe(200);
    const done = await waitPhase(k, namespace, created.metadata.name, ['Succeeded'], { timeoutMs: 60_000 });
    expect(run.reruns).toHaveLength(1);
    await eventually(async () => expect(slack.message(card.channel, card.ts)!.text).toMatch(/^Approved by/));
    expect(updatesOf(card)).toBe(1);
    expect((await auditOf(done)).filter((row) => row.key === 'Approved')).toHaveLength(1);
  });

  it('expires a request nobody decided: Expired, the card updated, an escalation in the escalation channel and the thread; a later click is refused', async () => {
    const record = await waitPhase(k, namespace, expiring.metadata.name, ['Expired'], { timeoutMs: 90_000, intervalMs: 500 });
    expect(record.status?.approval).toMatchObject({ decision: 'expired', decidedBy: 'system' });
    const card = await waitCard(expiring.metadata.name);
    const thread = threadOf(record);
    await eventually(async () => {
      expect(slack.message(card.channel, card.ts)!.text).toMatch(/^Expired/);
      expect(slack.parents(ALERTS).some((message) => /Approval expired/.test(message.text ?? '') && message.text!.includes('acme/expire-web'))).toBe(true);
      expect(slack.replies(thread.channel, thread.ts).some((reply) => /Approval expired/.test(reply.text ?? ''))).toBe(true);
    }, { timeoutMs: 20_000 });
    const before = slack.ephemerals.length;
    expect(await click(operator, card, ALICE)).toBe(200);
    await ephemeralFor(ALICE, /expired/, before);
    expect(phaseOf(await getObject(k, RECORDS, namespace, expiring.metadata.name))).toBe('Expired');
  }, 120_000);

  it('takes clicks over Socket Mode with the same handler, and a redelivered envelope decides once', async () => {
    await operator.stop();
    operator = await startLeader('slack-socket', {}, true);
    await eventually(async () => expect(slack.connections).toBeGreaterThan(0), { timeoutMs: 20_000, description: 'socket mode connection' });
    // No inbound route in Socket Mode.
    expect((await fetch(`http://127.0.0.1:${operator.port}/slack/events`, { method: 'POST', body: '' })).status).toBe(404);
    const run = github.repo('acme/slack-socket').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 1 } });
    const created = await reportFailure(run);
    const card = await waitCard(created.metadata.name);
    const payload = clickPayload(card, ALICE);
    const envelopeId = slack.deliver(payload);
    slack.deliver(payload, { envelopeId });
    const done = await waitPhase(k, namespace, created.metadata.name, ['Succeeded'], { timeoutMs: 60_000 });
    expect(done.status?.approval).toMatchObject({ decision: 'approved', decidedBy: ALICE });
    expect(run.reruns).toHaveLength(1);
    await eventually(async () => expect(slack.message(card.channel, card.ts)!.text).toMatch(/^Approved by/));
    expect(updatesOf(card)).toBe(1);
    expect(slack.acks.filter((id) => id === envelopeId).length).toBeGreaterThanOrEqual(1);
    expect((await auditOf(done)).filter((row) => row.action === 'slack-click')).toHaveLength(1);
  });

  it('without Slack a waiting record says SlackNotConfigured; once Slack is configured, the card is posted and the condition goes', async () => {
    await operator.stop();
    const withoutSlack = await startOperator({ ...options, extraArgs: ['--github-api-url', github.url], env: { GITHUB_TOKEN: 'ghs_operator_token' }, identity: 'slack-none' });
    await withoutSlack.waitForLog((line) => line.msg === 'caches synced; controllers started', 60_000, 'leadership');
    const run = github.repo('acme/slack-late').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 1 } });
    const created = await reportFailure(run);
    const waiting = await eventually(async () => {
      const current = await waitPhase(k, namespace, created.metadata.name, ['AwaitingApproval']);
      expect(conditionOf(current, 'SlackNotified')).toMatchObject({ status: 'False', reason: 'SlackNotConfigured' });
      return current;
    });
    expect(waiting.status?.slack).toBeUndefined();
    await withoutSlack.stop();

    operator = await startLeader('slack-late');
    const card = await waitCard(created.metadata.name);
    expect(card.message.text).toMatch(/acme\/slack-late/);
    await eventually(async () => expect(conditionOf(await getObject(k, RECORDS, namespace, created.metadata.name), 'SlackNotified')).toBeUndefined());
  }, 90_000);

  it('alerts once when GitHub refuses the operator\'s token, however often it is retried', async () => {
    await operator.stop();
    await createObject(k, POLICIES, namespace, { apiVersion: 'ci-remediator.dev/v1alpha1', kind: 'RemediationPolicy', metadata: { name: 'auto-web' }, spec: { repositories: ['acme/badtoken-*'], riskThreshold: 70, allowedActions: ['rerun-failed-jobs'] } });
    operator = await startLeader('slack-bad-token', { GITHUB_TOKEN: 'ghs_revoked_token' });
    const runs = [1, 2].map(() => github.repo('acme/badtoken-web').addRun({ jobs: FAILED_JOBS, onRerun: { conclusion: 'success', afterPolls: 1 } }));
    const records = await Promise.all(runs.map((run) => reportFailure(run)));
    await eventually(
      async () => {
        const current = await getObject(k, RECORDS, namespace, records[1]!.metadata.name);
        expect(conditionOf(current, 'Executed')).toMatchObject({ reason: 'GitHubUnavailable' });
      },
      { timeoutMs: 30_000, description: 'the second record waiting for GitHub' },
    );
    const alerts = () => slack.parents(CI).filter((message) => /GitHubCredentialsRefused/.test(message.text ?? ''));
    await eventually(async () => expect(alerts()).toHaveLength(1), { timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]!.text).toMatch(/GitHub answered 401 to GET \/repos\/acme\/badtoken-web\/actions\/runs\//);
    expect(runs.every((run) => run.reruns.length === 0)).toBe(true);
  });
});
