import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGitHubServer, type GitHubServer } from '../../support/github-server.ts';
import { createNamespace, eventsFor, eventually, getObject, GROUP, kube, RECORDS, VERSION, type CustomObject, type Kube } from '../../support/kube.ts';
import { killAllOperators, startOperator, waitReady, type OperatorProcess } from '../../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts';
import { auditRows, conditionOf, createPolicy, phaseOf, reportRun, waitPhase } from './fixtures.ts';

// What the transition writer hands the notifier (the Slack integration's seam), seen from outside: the
// operator's test-only CI_REMEDIATOR_TEST_NOTIFY_URL hook POSTs every notice here and waits for the answer,
// so while it waits this test can look at the audit log and at the record on kube-apiserver. Also: an
// approval request that runs out of time ends Expired, announced by `system`.

interface Received {
  from: string;
  to: string;
  reason: string;
  actor: string;
  record: { name: string; uid: string; resourceVersion: string; phase: string };
  /** What was true when the notice arrived. */
  rowExisted: boolean;
  storedResourceVersion: number;
}

let k: Kube;
let namespace: string;
let database: TestDatabase;
let github: GitHubServer;
let operator: OperatorProcess;
let server: Server;
const received: Received[] = [];
const problems: string[] = [];

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  k = kube();
  namespace = await createNamespace(k, 'op-notify');
  database = await createTestDatabase();
  github = await startGitHubServer({ tokens: ['ghs_notify_token'] });
  await createPolicy(k, namespace, 'auto', { repositories: ['acme/auto-*'], riskThreshold: 70 });
  await createPolicy(k, namespace, 'ask', { repositories: ['acme/ask-*'], riskThreshold: 70, protected: true, approvalTimeout: '90m' });
  server = createServer((request, response) => {
    void (async () => {
      try {
        const notice = JSON.parse(await body(request)) as Omit<Received, 'rowExisted' | 'storedResourceVersion'>;
        const rows = await auditRows(database.url, [notice.record.uid]);
        const stored = await getObject(k, RECORDS, namespace, notice.record.name);
        received.push({
          ...notice,
          rowExisted: rows.some((row) => row.idempotency_key === `${notice.record.uid}/${notice.to}`),
          storedResourceVersion: Number(stored.metadata.resourceVersion),
        });
      } catch (error) {
        problems.push(String(error));
      }
      response.writeHead(204).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  operator = await startOperator({
    kubeconfig: k.kubeconfig,
    namespaces: [namespace],
    databaseUrl: database.url,
    leaderElectionNamespace: namespace,
    identity: 'notify-1',
    extraArgs: ['--github-api-url', github.url, '--verify-poll-interval', '1s'],
    env: { GITHUB_TOKEN: 'ghs_notify_token', CI_REMEDIATOR_TEST_NOTIFY_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` },
  });
  await waitReady(operator);
}, 120_000);

afterAll(async () => {
  await killAllOperators();
  await github?.close();
  await database?.drop();
  await new Promise((resolve) => server?.close(resolve));
});

async function reportFailure(repository: string): Promise<CustomObject> {
  return reportRun(k, namespace, github.repo(repository).addRun({ jobs: [{ name: 'test', conclusion: 'failure' }], onRerun: { conclusion: 'success', afterPolls: 1 } }));
}

function noticesOf(record: CustomObject): Received[] {
  return received.filter((notice) => notice.record.uid === record.metadata.uid);
}

describe('the transition writer and the notifier', () => {
  it('tells the notifier of every transition once, in order, after its audit row and its status exist', async () => {
    const record = await reportFailure('acme/auto-web');
    const ended = await waitPhase(k, namespace, record.metadata.name, ['Succeeded', 'Failed', 'RolledBack'], { timeoutMs: 60_000 });
    expect(phaseOf(ended)).toBe('Succeeded');
    const transitions = (await auditRows(database.url, [record.metadata.uid])).filter((row) => row.action === 'transition').map((row) => row.outcome);
    expect(transitions).toEqual(['Analyzing', 'Analyzed', 'AutoApproved', 'Executing', 'Verifying', 'Succeeded']);

    const notices = await eventually(
      async () => {
        const seen = noticesOf(record);
        if (seen.length < transitions.length) throw new Error(`${seen.length} notices so far`);
        return seen;
      },
      { timeoutMs: 10_000, description: 'all notices' },
    );
    expect(problems).toEqual([]);
    // Exactly one per transition, in the order of the audit trail, each from where the previous one went.
    expect(notices.map((notice) => `${notice.from}->${notice.to}`)).toEqual([
      'Pending->Analyzing',
      'Analyzing->Analyzed',
      'Analyzed->AutoApproved',
      'AutoApproved->Executing',
      'Executing->Verifying',
      'Verifying->Succeeded',
    ]);
    for (const notice of notices) {
      expect(notice.rowExisted).toBe(true);
      // The record the notice carries is the one written: kube-apiserver already has it (or a later one).
      expect(notice.storedResourceVersion).toBeGreaterThanOrEqual(Number(notice.record.resourceVersion));
      expect(notice.actor).toBe('operator');
    }
    // The gating write took three steps at once: its three notices carry the status it wrote.
    expect(notices.slice(0, 3).map((notice) => notice.record.phase)).toEqual(['AutoApproved', 'AutoApproved', 'AutoApproved']);
    expect(notices.slice(3).map((notice) => notice.record.phase)).toEqual(['Executing', 'Verifying', 'Succeeded']);
  });

  it("starts the approval clock from the policy's approval.timeout, and expires the request when it runs out", async () => {
    const record = await reportFailure('acme/ask-web');
    const waiting = await waitPhase(k, namespace, record.metadata.name, ['AwaitingApproval']);
    const approval = waiting.status?.approval as { requestedAt: string; expiresAt: string };
    expect(Date.parse(approval.expiresAt) - Date.parse(approval.requestedAt)).toBe(90 * 60 * 1000);

    // Ninety minutes are too long to wait here: the request's deadline is moved into the past, as time would.
    await k.custom.patchNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      plural: RECORDS,
      namespace,
      name: record.metadata.name,
      body: [{ op: 'replace', path: '/status/approval/expiresAt', value: new Date(Date.now() - 1000).toISOString() }],
    });
    const expired = await waitPhase(k, namespace, record.metadata.name, ['Expired']);
    expect(expired.status?.approval).toMatchObject({ decision: 'expired', decidedBy: 'system' });
    expect(conditionOf(expired, 'Ready')).toMatchObject({ status: 'False', reason: 'Expired' });
    const rows = await auditRows(database.url, [record.metadata.uid]);
    expect(rows.filter((row) => row.action === 'transition').map((row) => row.outcome)).toEqual(['Analyzing', 'Analyzed', 'AwaitingApproval', 'Expired']);
    const reasons = await eventually(
      async () => {
        const events = (await eventsFor(k, namespace, record.metadata.uid)).map((event) => event.reason);
        if (!events.includes('Expired')) throw new Error(`events so far: ${events.join(', ')}`);
        return events;
      },
      { timeoutMs: 10_000, description: 'Expired event' },
    );
    expect(reasons).toContain('Expired');
    const last = await eventually(
      async () => {
        const notice = noticesOf(record).at(-1);
        if (notice?.to !== 'Expired') throw new Error(`last notice: ${notice?.to}`);
        return notice;
      },
      { timeoutMs: 10_000, description: 'Expired notice' },
    );
    expect(last).toMatchObject({ from: 'AwaitingApproval', to: 'Expired', actor: 'system', rowExisted: true });
  });

  it('executes an Approved record exactly like an AutoApproved one', async () => {
    const record = await reportFailure('acme/ask-approved');
    await waitPhase(k, namespace, record.metadata.name, ['AwaitingApproval']);
    // What the Slack integration will write when a listed approver says yes.
    await k.custom.patchNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      plural: RECORDS,
      namespace,
      name: record.metadata.name,
      body: [
        { op: 'replace', path: '/status/phase', value: 'Approved' },
        { op: 'add', path: '/status/approval/decision', value: 'approved' },
      ],
    });
    const ended = await waitPhase(k, namespace, record.metadata.name, ['Succeeded', 'Failed', 'RolledBack'], { timeoutMs: 60_000 });
    expect(phaseOf(ended)).toBe('Succeeded');
    expect(ended.status?.execution).toMatchObject({ action: 'rerun-failed-jobs', result: 'succeeded', newRunAttempt: 2 });
    const transitions = (await auditRows(database.url, [record.metadata.uid])).filter((row) => row.action === 'transition').map((row) => row.outcome);
    expect(transitions).toEqual(['Analyzing', 'Analyzed', 'AwaitingApproval', 'Executing', 'Verifying', 'Succeeded']);
    const notices = await eventually(
      async () => {
        const seen = noticesOf(record);
        if (seen.at(-1)?.to !== 'Succeeded') throw new Error(`notices so far: ${seen.map((notice) => notice.to).join(', ')}`);
        return seen;
      },
      { timeoutMs: 10_000, description: 'Succeeded notice' },
    );
    expect(notices.map((notice) => `${notice.from}->${notice.to}`).slice(3)).toEqual(['Approved->Executing', 'Executing->Verifying', 'Verifying->Succeeded']);
  });
});
