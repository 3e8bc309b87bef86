import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { App } from '@slack/bolt';
import { Registry } from 'prom-client';
import { createSlackEventsHandler, SLACK_EVENTS_PATH } from '../../../operator/http/slack-events.ts';
import { startHealthServer, type HealthServer } from '../../../operator/http/server.ts';
import { createLogger } from '../../../operator/runtime/logger.ts';
import { createSlackApp } from '../../../operator/slack/slack-app.ts';
import { createSlackMetrics } from '../../../operator/slack/slack-metrics.ts';
import { PolicyApproval } from '../../../src/api/remediation-policy.ts';
import { recordDigest, type RecordRef, type RecordWithUid } from '../../../src/slack/approval-digest.ts';
import type { ClickAudit, DecideResult, InteractionOutcome } from '../../../src/slack/interaction-handler.ts';
import { approvalCard } from '../../../src/slack/messages.ts';
import { SlackRequestVerifier, slackSignedHeaders } from '../../../src/slack/request-verification.ts';
import { createSlackClient } from '../../../src/slack/slack-client.ts';
import { eventually } from '../../support/eventually.ts';
import { SlackServer, blockActionsPayload, signedInteraction } from '../../support/slack-server.ts';
import { slackRecord } from '../../support/slack-records.ts';

// A click as Slack sends it (a signed form POST to /slack/events on the operator's HTTP server), through our
// verification, Bolt's HTTPReceiver and App, the click handler, and back to the local Slack Web API.
//
// `decide` is the seam phase 2 fills with the operator's precondition status write; here it is a store with
// the same contract (compare-and-set on a resourceVersion), so "the first decision wins" is exercised for
// real, including two replicas answering the same click.

const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const MALLORY = 'U0MALLORY1';
const OCTOCAT = 'U0OCTOCAT1';
const GROUP = 'S0ONCALL01';

class RecordStore {
  readonly #records = new Map<string, { record: RecordWithUid; version: number }>();
  writes = 0;
  /** The API server (or the audit store) does not answer. */
  unavailable = false;

  put(record: RecordWithUid): void {
    const key = `${record.metadata.namespace}/${record.metadata.name}`;
    this.#records.set(key, { record: structuredClone(record), version: (this.#records.get(key)?.version ?? 0) + 1 });
  }

  get(ref: RecordRef): RecordWithUid | undefined {
    const entry = this.#records.get(`${ref.namespace}/${ref.name}`);
    return entry === undefined ? undefined : structuredClone(entry.record);
  }

  /** What the operator's status write does: read, check, write only if nobody wrote in between. */
  async decide(ref: RecordRef, decision: 'approved' | 'rejected', userId: string, expectedDigest: string, at: Date): Promise<DecideResult> {
    if (this.unavailable) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
    const key = `${ref.namespace}/${ref.name}`;
    const read = this.#records.get(key);
    if (read === undefined) return { outcome: 'record-gone' };
    const version = read.version;
    // Another replica's write can land here; the precondition below is what catches it.
    await new Promise((resolve) => setImmediate(resolve));
    const current = this.#records.get(key)!;
    const record = current.record;
    if (record.status?.approval?.decidedBy !== undefined) {
      return { outcome: 'already-decided', decidedBy: record.status.approval.decidedBy, ...(record.status.approval.decision !== undefined && { decision: record.status.approval.decision }) };
    }
    if (record.status?.phase === 'Expired') return { outcome: 'expired' };
    if (recordDigest(record) !== expectedDigest) return { outcome: 'stale' };
    if (current.version !== version) return { outcome: 'already-decided' };
    const next: RecordWithUid = {
      ...record,
      status: { ...record.status, phase: decision === 'approved' ? 'Approved' : 'Rejected', approval: { ...record.status?.approval, decidedBy: userId, decidedAt: at.toISOString(), decision } },
    };
    this.#records.set(key, { record: next, version: version + 1 });
    this.writes += 1;
    return { outcome: 'decided', record: structuredClone(next) };
  }
}

interface Replica {
  http: HealthServer;
  app: App;
  url: string;
  outcomes: InteractionOutcome[];
  acks: number[];
}

let slack: SlackServer;
let store: RecordStore;
let audits: ClickAudit[];
let approval: PolicyApproval;
let replicas: Replica[];

const silent = createLogger('silent', new Writable({ write: (_chunk, _encoding, callback) => callback() }));

async function startReplica(): Promise<Replica> {
  const registry = new Registry();
  const metrics = createSlackMetrics(registry);
  const handler = createSlackEventsHandler({ verifier: new SlackRequestVerifier(SIGNING_SECRET), log: silent, registry });
  const client = createSlackClient({ token: slack.token, slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  const outcomes: InteractionOutcome[] = [];
  const acks: number[] = [];
  const app = await createSlackApp({
    receiver: handler.receiver,
    botToken: slack.token,
    slackApiUrl: slack.apiUrl,
    client,
    log: silent,
    decisions: {
      getRecord: async (ref) => store.get(ref),
      approvalPolicy: async () => ({ name: 'web', approval }),
      decide: (ref, decision, actor, context) => store.decide(ref, decision, actor.userId, context.expectedDigest, context.at),
      audit: async (entry) => {
        audits.push(entry);
      },
    },
    onOutcome: (outcome, ackMs) => {
      outcomes.push(outcome);
      acks.push(ackMs);
      metrics.recordClick(outcome, ackMs);
    },
  });
  const http = await startHealthServer({ address: '127.0.0.1', port: 0, ready: () => true, registry, routes: { [SLACK_EVENTS_PATH]: handler } });
  const replica = { http, app, url: `http://127.0.0.1:${http.port}${SLACK_EVENTS_PATH}`, outcomes, acks };
  replicas.push(replica);
  return replica;
}

beforeEach(async () => {
  slack = await new SlackServer({
    users: [
      { id: ALICE, name: 'alice', profile: { email: 'alice@acme.example', display_name: 'Alice' } },
      { id: BOB, name: 'bob', profile: { email: 'bob@acme.example', display_name: 'Bob' } },
      { id: MALLORY, name: 'mallory', profile: { email: 'mallory@acme.example' } },
      { id: OCTOCAT, name: 'octo', profile: { email: '583231+octocat@users.noreply.github.com', display_name: 'The Octocat' } },
    ],
    userGroups: { [GROUP]: [BOB, OCTOCAT] },
  }).start();
  store = new RecordStore();
  audits = [];
  replicas = [];
  approval = PolicyApproval.parse({ approvers: { users: [ALICE], userGroups: [GROUP] } });
});

afterEach(async () => {
  for (const replica of replicas) await replica.http.close();
  await slack.stop();
});

/** Posts the record's approval card to the local Slack and returns where it is and its Approve value. */
async function postCard(record: RecordWithUid): Promise<{ channel: string; ts: string; value: string }> {
  store.put(record);
  const client = createSlackClient({ token: slack.token, slackApiUrl: slack.apiUrl });
  const card = approvalCard(record);
  const answer = await client.chat.postMessage({ channel: '#ci', ...card });
  const value = JSON.stringify(card.blocks).match(/"value":"(cir1:[^"]+)"/)![1]!;
  return { channel: answer.channel!, ts: answer.ts!, value };
}

async function click(url: string, card: { channel: string; ts: string; value: string }, userId: string, options: { actionId?: string; secret?: string; now?: Date } = {}): Promise<{ status: number; ms: number; body: { body: string; headers: Record<string, string> } }> {
  const payload = blockActionsPayload({ userId, channel: card.channel, messageTs: card.ts, actionId: options.actionId ?? 'ci_remediator_approve', value: card.value });
  const request = signedInteraction(payload, options.secret ?? SIGNING_SECRET, options.now ?? new Date());
  return send(url, request);
}

async function send(url: string, request: { body: string; headers: Record<string, string> }): Promise<{ status: number; ms: number; body: typeof request }> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  await response.text();
  return { status: response.status, ms: performance.now() - started, body: request };
}

function ephemeralsFor(userId: string): string[] {
  return slack.ephemerals.filter((message) => message.user === userId).map((message) => message.text ?? '');
}

describe('Slack interactions over HTTP', () => {
  it('approves for an allowed user: acknowledged at once, decided once, card replaced, audited', async () => {
    const replica = await startReplica();
    const card = await postCard(slackRecord());
    const answer = await click(replica.url, card, ALICE);
    expect(answer.status).toBe(200);
    await eventually(() => expect(replica.outcomes).toHaveLength(1), { timeoutMs: 5000 });
    expect(replica.outcomes[0]).toEqual({ accepted: true, decision: 'approved', record: { namespace: 'ci', name: 'acme-web-18235534013-1' } });
    const stored = store.get({ namespace: 'ci', name: 'acme-web-18235534013-1' })!;
    expect(stored.status?.phase).toBe('Approved');
    expect(stored.status?.approval).toEqual(expect.objectContaining({ decidedBy: ALICE, decision: 'approved' }));
    const message = slack.message(card.channel, card.ts)!;
    expect(message.text).toMatch(/^Approved by <@U0ALICE001>/);
    expect(JSON.stringify(message.blocks)).not.toContain('ci_remediator_approve');
    expect(audits).toEqual([expect.objectContaining({ actor: ALICE, decision: 'approved', accepted: true, clickId: expect.stringMatching(/^\d+\.\d{6}$/) })]);
  });

  it('rejects with the Reject button', async () => {
    const replica = await startReplica();
    const card = await postCard(slackRecord());
    await click(replica.url, card, ALICE, { actionId: 'ci_remediator_reject' });
    await eventually(() => expect(store.get({ namespace: 'ci', name: 'acme-web-18235534013-1' })?.status?.phase).toBe('Rejected'), { timeoutMs: 5000 });
    await eventually(() => expect(slack.message(card.channel, card.ts)!.text).toMatch(/^Rejected by <@U0ALICE001>/), { timeoutMs: 5000 });
  });

  it("answers the Events API's url_verification challenge, and refuses other methods and oversized bodies", async () => {
    const replica = await startReplica();
    const body = JSON.stringify({ token: 'unused', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    const challenge = await fetch(replica.url, { method: 'POST', headers: { 'content-type': 'application/json', ...slackSignedHeaders(body, SIGNING_SECRET, new Date()) }, body });
    expect(challenge.status).toBe(200);
    expect(await challenge.json()).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    expect((await fetch(replica.url)).status).toBe(405);
    const large = 'payload=' + 'x'.repeat(1024 * 1024 + 1);
    expect((await fetch(replica.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignedHeaders(large, SIGNING_SECRET, new Date()) }, body: large })).status).toBe(413);
  });

  it('refuses forged, stale and replayed requests before anything else', async () => {
    const replica = await startReplica();
    const card = await postCard(slackRecord());
    expect((await click(replica.url, card, ALICE, { secret: 'not-the-signing-secret-at-all' })).status).toBe(401);
    expect((await click(replica.url, card, ALICE, { now: new Date(Date.now() - 6 * 60_000) })).status).toBe(401);
    const first = await click(replica.url, card, MALLORY);
    expect(first.status).toBe(200);
    expect((await send(replica.url, first.body)).status).toBe(401);
    await eventually(() => expect(replica.outcomes).toHaveLength(1), { timeoutMs: 5000 });
    // Only the one verified request reached the handler; the forged, stale and replayed ones did not.
    expect(audits).toHaveLength(1);
    expect(store.writes).toBe(0);
    const metrics = await fetch(`http://127.0.0.1:${replica.http.port}/metrics`).then((response) => response.text());
    expect(metrics).toContain('ci_remediator_slack_requests_total{outcome="signature-mismatch"} 1');
    expect(metrics).toContain('ci_remediator_slack_requests_total{outcome="timestamp-outside-window"} 1');
    expect(metrics).toContain('ci_remediator_slack_requests_total{outcome="replayed"} 1');
    expect(metrics).toContain('ci_remediator_slack_clicks_total{outcome="not-an-approver"} 1');
  });

  it('tells an unknown user why, ephemerally, and audits the refusal', async () => {
    const replica = await startReplica();
    const card = await postCard(slackRecord());
    await click(replica.url, card, MALLORY);
    await eventually(() => expect(ephemeralsFor(MALLORY)).toEqual([expect.stringMatching(/^You are not an approver for this record: policy web/)]), { timeoutMs: 5000 });
    expect(audits).toEqual([expect.objectContaining({ actor: MALLORY, accepted: false, reason: 'not-an-approver' })]);
    expect(store.get({ namespace: 'ci', name: 'acme-web-18235534013-1' })?.status?.phase).toBe('AwaitingApproval');
    // The card is still live for the people who may decide.
    expect(slack.message(card.channel, card.ts)!.edited).toBeUndefined();
  });

  it('accepts a member of an approver group and refuses a non-member', async () => {
    approval = PolicyApproval.parse({ approvers: { userGroups: [GROUP] } });
    const replica = await startReplica();
    const card = await postCard(slackRecord());
    await click(replica.url, card, ALICE);
    await eventually(() => expect(replica.outcomes).toHaveLength(1), { timeoutMs: 5000 });
    expect(replica.outcomes[0]).toEqual(expect.objectContaining({ accepted: false, reason: 'not-an-approver' }));
    await click(replica.url, card, BOB);
    await eventually(() => expect(replica.outcomes).toHaveLength(2), { timeoutMs: 5000 });
    expect(replica.outcomes[1]).toEqual(expect.objectContaining({ accepted: true }));
    expect(slack.callCount('usergroups.users.list')).toBe(1);
  });

  it("refuses the commit's author under requireDistinctApprover, found by the profile's GitHub email or the policy map", async () => {
    const replica = await startReplica();
    const card = await postCard(slackRecord({ author: 'octocat' }));
    await click(replica.url, card, OCTOCAT);
    await eventually(() => expect(ephemeralsFor(OCTOCAT)).toEqual([expect.stringMatching(/^You pushed the change that failed \(octocat\)/)]), { timeoutMs: 5000 });
    approval = PolicyApproval.parse({ approvers: { users: [ALICE], githubLogins: { [ALICE]: 'OctoCat' } } });
    await click(replica.url, card, ALICE);
    await eventually(() => expect(ephemeralsFor(ALICE)).toHaveLength(1), { timeoutMs: 5000 });
    expect(audits.map((entry) => entry.reason)).toEqual(['author-cannot-approve', 'author-cannot-approve']);
    // Without the four-eyes rule the author may approve.
    approval = PolicyApproval.parse({ approvers: { users: [OCTOCAT] }, requireDistinctApprover: false });
    await click(replica.url, card, OCTOCAT);
    await eventually(() => expect(replica.outcomes.at(-1)).toEqual(expect.objectContaining({ accepted: true })), { timeoutMs: 5000 });
  });

  it('refuses a button made stale by a policy change', async () => {
    const replica = await startReplica();
    const card = await postCard(slackRecord({ policyGeneration: 3 }));
    // The policy changed and the record was re-gated under generation 4: still awaiting, but not what the card showed.
    store.put(slackRecord({ policyGeneration: 4 }));
    await click(replica.url, card, ALICE);
    await eventually(() => expect(ephemeralsFor(ALICE)).toEqual([expect.stringMatching(/^This request is out of date/)]), { timeoutMs: 5000 });
    expect(store.writes).toBe(0);
  });

  it('refuses a second click after the decision and says who decided', async () => {
    const replica = await startReplica();
    const card = await postCard(slackRecord());
    await click(replica.url, card, ALICE);
    await eventually(() => expect(replica.outcomes).toHaveLength(1), { timeoutMs: 5000 });
    await click(replica.url, card, BOB);
    await eventually(() => expect(ephemeralsFor(BOB)).toEqual(['This request was already approved by <@U0ALICE001>.']), { timeoutMs: 5000 });
    expect(store.writes).toBe(1);
    expect(audits.map((entry) => [entry.actor, entry.accepted])).toEqual([
      [ALICE, true],
      [BOB, false],
    ]);
  });

  it('refuses a click after expiry', async () => {
    const replica = await startReplica();
    const card = await postCard(slackRecord());
    const expired = slackRecord({ phase: 'Expired' });
    expired.status!.approval = { decision: 'expired', decidedBy: 'system', decidedAt: new Date().toISOString() };
    store.put(expired);
    await click(replica.url, card, ALICE);
    await eventually(() => expect(ephemeralsFor(ALICE)).toEqual([expect.stringMatching(/^This request has expired/)]), { timeoutMs: 5000 });
    // A card left live (say the expiry's card update failed) is replaced now.
    expect(slack.message(card.channel, card.ts)!.text).toMatch(/^Expired nobody decided in time/);
  });

  it('decides once when two replicas receive the same click', async () => {
    const [one, two] = [await startReplica(), await startReplica()];
    const card = await postCard(slackRecord());
    const payload = blockActionsPayload({ userId: ALICE, channel: card.channel, messageTs: card.ts, actionId: 'ci_remediator_approve', value: card.value });
    const request = signedInteraction(payload, SIGNING_SECRET);
    const answers = await Promise.all([send(one!.url, request), send(two!.url, request)]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    await eventually(() => expect([...one!.outcomes, ...two!.outcomes]).toHaveLength(2), { timeoutMs: 5000 });
    const outcomes = [...one!.outcomes, ...two!.outcomes];
    expect(outcomes.filter((outcome) => outcome.accepted)).toHaveLength(1);
    expect(outcomes.filter((outcome) => !outcome.accepted)).toEqual([expect.objectContaining({ reason: 'already-decided' })]);
    expect(store.writes).toBe(1);
  });

  it('tells the person to retry when Slack cannot say who they are, or the decision cannot be written', async () => {
    const replica = await startReplica();
    const card = await postCard(slackRecord());
    slack.inject('users.info', { error: 'fatal_error' });
    await click(replica.url, card, ALICE);
    await eventually(() => expect(ephemeralsFor(ALICE)).toEqual([expect.stringMatching(/^The decision could not be recorded right now/)]), { timeoutMs: 5000 });
    store.unavailable = true;
    await click(replica.url, card, ALICE);
    await eventually(() => expect(ephemeralsFor(ALICE)).toHaveLength(2), { timeoutMs: 5000 });
    expect(ephemeralsFor(ALICE)[1]).toMatch(/^The decision could not be recorded right now/);
    expect(store.writes).toBe(0);
    expect(audits.map((entry) => entry.reason)).toEqual(['unavailable', 'unavailable']);
  });
});
