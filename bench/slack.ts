// Slack benchmark: ack latency and click-to-decision over HTTP (signed requests through our verification,
// Bolt's HTTPReceiver and App, and the click handler, with an in-memory decision), Slack API calls per record
// on the auto and the approval path, a burst of records needing approval posted through the per-channel
// pacing with 429s injected, and (4.) click to `Approved` in status through the operator process on the real
// control plane and PostgreSQL (the shared control plane in .cluster/, started if needed). Against the local
// Slack Web API server. Prints figures, asserts nothing.
//
//   node bench/slack.ts [--clicks 200] [--burst 200] [--spacing 50ms] [--rate-limit-every 25] [--operator-clicks 40] [--no-operator]
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Watch } from '@kubernetes/client-node';
import { clusterUp } from '../scripts/cluster/harness.mjs';
import { applyCrds, REPO_ROOT } from '../test/support/cluster-setup.ts';
import { createNamespace, createObject, getObject, GROUP, kube, POLICIES, RECORDS, VERSION, type CustomObject } from '../test/support/kube.ts';
import { startOperator, waitReady } from '../test/support/operator-process.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { failureRecord } from '../test/integration/operator/fixtures.ts';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { createSlackEventsHandler, SLACK_EVENTS_PATH } from '../operator/http/slack-events.ts';
import { startHealthServer } from '../operator/http/server.ts';
import { createLogger } from '../operator/runtime/logger.ts';
import { createSlackApp } from '../operator/slack/slack-app.ts';
import { parseDuration } from '../src/duration.ts';
import type { FailurePhase, FailureRecord } from '../src/api/failure-record.ts';
import { PolicyApproval } from '../src/api/remediation-policy.ts';
import { recordDigest, type RecordWithUid } from '../src/slack/approval-digest.ts';
import { approvalCard } from '../src/slack/messages.ts';
import { SlackRequestVerifier } from '../src/slack/request-verification.ts';
import { createSlackClient } from '../src/slack/slack-client.ts';
import { SlackNotifier } from '../src/slack/slack-notifier.ts';
import { SlackServer, blockActionsPayload, signedInteraction } from '../test/support/slack-server.ts';
import { slackRecord } from '../test/support/slack-records.ts';
import { median, percentile } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    clicks: { type: 'string', default: '200' },
    burst: { type: 'string', default: '200' },
    spacing: { type: 'string', default: '50ms' },
    'rate-limit-every': { type: 'string', default: '25' },
    'operator-clicks': { type: 'string', default: '40' },
    'no-operator': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});
const CLICKS = Number(values.clicks);
const BURST = Number(values.burst);
const SPACING_MS = parseDuration(values.spacing) ?? 50;
const RATE_LIMIT_EVERY = Number(values['rate-limit-every']);
const SECRET = 'bench-signing-secret-0123456789abcdef';
/** The operator's flag accepts what Slack issues: letters and digits only. */
const OPERATOR_SECRET = 'benchsigningsecret0123456789abcdef';
const ALICE = 'U0ALICE001';
const silent = createLogger('silent', new Writable({ write: (_chunk, _encoding, callback) => callback() }));
const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

const slack = await new SlackServer({ users: [{ id: ALICE, name: 'alice', profile: { email: 'alice@acme.example' } }] }).start();
const client = () => createSlackClient({ token: slack.token, slackApiUrl: slack.apiUrl, retryConfig: { retries: 5, factor: 1, minTimeout: 10, maxTimeout: 50 } });

// ---- 1. clicks over HTTP -------------------------------------------------------------------------------
const records = new Map<string, RecordWithUid>();
const decidedAt = new Map<string, number>();
const registry = new Registry();
const handler = createSlackEventsHandler({ verifier: new SlackRequestVerifier(SECRET), log: silent, registry });
await createSlackApp({
  receiver: handler.receiver,
  botToken: slack.token,
  slackApiUrl: slack.apiUrl,
  client: client(),
  log: silent,
  decisions: {
    getRecord: async (ref) => records.get(ref.name),
    approvalPolicy: async () => ({ name: 'bench', approval: PolicyApproval.parse({ approvers: { users: [ALICE] } }) }),
    decide: async (ref, decision, actor, context) => {
      const record = records.get(ref.name);
      if (record === undefined) return { outcome: 'record-gone' };
      if (record.status?.phase !== 'AwaitingApproval' || recordDigest(record) !== context.expectedDigest) return { outcome: 'already-decided' };
      const next: RecordWithUid = { ...record, status: { ...record.status, phase: 'Approved', approval: { decision, decidedBy: actor.userId, decidedAt: context.at.toISOString() } } };
      records.set(ref.name, next);
      decidedAt.set(ref.name, performance.now());
      return { outcome: 'decided', record: next };
    },
    audit: async () => undefined,
  },
});
const http = await startHealthServer({ address: '127.0.0.1', port: 0, ready: () => true, registry, routes: { [SLACK_EVENTS_PATH]: handler } });
const url = `http://127.0.0.1:${http.port}${SLACK_EVENTS_PATH}`;
const poster = client();
const acks: number[] = [];
const toDecision: number[] = [];
for (let i = 0; i < CLICKS; i += 1) {
  const record = slackRecord({ runId: 10_000 + i, name: `bench-click-${i}`, uid: `uid-click-${i}` });
  records.set(record.metadata.name, record);
  const card = approvalCard(record);
  const posted = await poster.chat.postMessage({ channel: '#ci', ...card });
  const value = JSON.stringify(card.blocks).match(/"value":"(cir1:[^"]+)"/)![1]!;
  const request = signedInteraction(blockActionsPayload({ userId: ALICE, channel: posted.channel!, messageTs: posted.ts!, actionId: 'ci_remediator_approve', value }), SECRET);
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  await response.text();
  acks.push(performance.now() - started);
  while (!decidedAt.has(record.metadata.name)) await new Promise((resolve) => setTimeout(resolve, 1));
  toDecision.push(decidedAt.get(record.metadata.name)! - started);
}
// The last click's card update may still be on its way; let it land before counting calls below.
while (slack.callCount('chat.update') < CLICKS) await new Promise((resolve) => setTimeout(resolve, 5));
await http.close();
console.log(`clicks: ${CLICKS} signed clicks over HTTP, one at a time`);
console.log(`  ack (HTTP 200) latency   p50 ${fmt(median(acks))}  p99 ${fmt(percentile(acks, 0.99))}  max ${fmt(Math.max(...acks))}`);
console.log(`  click to decided (in-memory write)  p50 ${fmt(median(toDecision))}  p99 ${fmt(percentile(toDecision, 0.99))}`);

// ---- 2. Slack API calls per record -------------------------------------------------------------------------
function notifier(spacingMs: number, errors: string[]): SlackNotifier {
  return new SlackNotifier({
    client: client(),
    defaultChannel: '#ci',
    channelsFor: () => undefined,
    saveThread: async () => undefined,
    onDeliveryError: (error) => errors.push(`${error.operation}: ${error.code}`),
    channelSpacingMs: spacingMs,
  });
}
function step(record: FailureRecord, from: FailurePhase, to: FailurePhase, actor = 'operator') {
  const status = { ...record.status, phase: to };
  if (to === 'Approved') status.approval = { ...status.approval, decision: 'approved', decidedBy: ALICE, decidedAt: new Date().toISOString() };
  return { record: { ...record, status }, from, to, reason: to, message: '', actor, at: new Date() };
}
async function callsFor(path: FailurePhase[], name: string, withClick: boolean): Promise<string> {
  const errors: string[] = [];
  const n = notifier(0, errors);
  const before = new Map(slack.calls);
  const record = slackRecord({ name, runId: 20_000 + name.length, fingerprint: `rules:v1:${name.padEnd(20, '0').slice(0, 20)}`.replace(/[^A-Za-z0-9._:-]/g, '0') });
  for (let i = 1; i < path.length; i += 1) {
    const to = path[i]!;
    await n.notify(step(record, path[i - 1]!, to, to === 'Approved' && withClick ? ALICE : 'operator'));
    await n.idle();
    // The click handler's own calls: users.info (four-eyes) and the card's chat.update.
    if (to === 'AwaitingApproval' && withClick) {
      await client().users.info({ user: ALICE });
      await client().chat.update({ channel: 'C0CIFAIL01', ts: slack.messages.at(-1)!.ts, text: 'Approved' });
    }
  }
  const used = [...slack.calls].map(([method, count]) => [method, count - (before.get(method) ?? 0)] as const).filter(([, count]) => count > 0);
  const total = used.reduce((sum, [, count]) => sum + count, 0);
  return `${total} (${used.map(([method, count]) => `${method} ${count}`).join(', ')})${errors.length > 0 ? ` errors: ${errors.join('; ')}` : ''}`;
}
console.log('Slack API calls per record');
console.log(`  auto path      ${await callsFor(['Pending', 'Analyzing', 'Analyzed', 'AutoApproved', 'Executing', 'Verifying', 'Succeeded'], 'bench-auto', false)}`);
console.log(`  approval path  ${await callsFor(['Pending', 'Analyzing', 'Analyzed', 'AwaitingApproval', 'Approved', 'Executing', 'Verifying', 'Succeeded'], 'bench-approval', true)}`);

// ---- 3. a burst of records needing approval ----------------------------------------------------------------
const burstErrors: string[] = [];
const burst = notifier(SPACING_MS, burstErrors);
const postsBefore = slack.callCount('chat.postMessage');
const messagesBefore = slack.messages.length;
slack.injectEvery('chat.postMessage', RATE_LIMIT_EVERY, { status: 429, retryAfterSeconds: 1 });
const started = performance.now();
for (let i = 0; i < BURST; i += 1) {
  const record = slackRecord({ runId: 30_000 + i, name: `bench-burst-${i}`, uid: `uid-burst-${i}`, fingerprint: `rules:v1:${String(i).padStart(20, '0')}` });
  await burst.notify(step(record, 'Analyzing', 'Analyzed'));
  await burst.notify(step(record, 'Analyzed', 'AwaitingApproval'));
}
const queuedMs = performance.now() - started;
await burst.idle();
const burstMs = performance.now() - started;
slack.injectEvery('chat.postMessage', 0, { status: 429, retryAfterSeconds: 1 });
const cards = slack.messages.slice(messagesBefore).filter((message) => JSON.stringify(message.blocks ?? []).includes('ci_remediator_approve')).length;
const parents = slack.messages.slice(messagesBefore).filter((message) => message.thread_ts === undefined).length;
const calls = slack.callCount('chat.postMessage') - postsBefore;
console.log(`burst: ${BURST} records needing approval at once into one channel, spacing ${SPACING_MS} ms, every ${RATE_LIMIT_EVERY}th chat.postMessage answered 429 (Retry-After 1 s)`);
console.log(`  notify() for all returned after ${fmt(queuedMs)}; every card posted after ${(burstMs / 1000).toFixed(1)} s`);
console.log(`  parents ${parents}/${BURST}, cards ${cards}/${BURST}, delivery errors ${burstErrors.length}, chat.postMessage requests ${calls} (${calls - parents - cards} answered 429 and retried)`);
console.log(`  at Slack's pace (1 message/s per channel) the same ${2 * BURST} messages take about ${Math.round((2 * BURST) / 60)} min in one channel`);
await burst.stop();

// ---- 4. click to Approved in status, through the operator ------------------------------------------------
if (!values['no-operator']) await clickToApprovedInStatus(Number(values['operator-clicks']));
await slack.stop();

async function clickToApprovedInStatus(count: number): Promise<void> {
  const kubeconfig = clusterUp().kubeconfig;
  await applyCrds(kubeconfig);
  if (!values['no-build']) execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-cli.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
  const k = kube(kubeconfig);
  const namespace = await createNamespace(k, 'bench-slack');
  const database = await createTestDatabase();
  await createObject(k, POLICIES, namespace, {
    apiVersion: 'ci-remediator.dev/v1alpha1',
    kind: 'RemediationPolicy',
    metadata: { name: 'approve' },
    spec: { repositories: ['acme/*'], protected: true, approval: { approvers: { users: [ALICE] }, requireDistinctApprover: false } },
  });
  const operator = await startOperator({
    kubeconfig,
    namespaces: [namespace],
    databaseUrl: database.url,
    leaderElectionNamespace: namespace,
    identity: 'bench-slack',
    extraArgs: ['--slack-api-url', slack.apiUrl, '--slack-default-channel', '#ci'],
    env: { SLACK_BOT_TOKEN: slack.token, SLACK_SIGNING_SECRET: OPERATOR_SECRET },
  });
  try {
    await waitReady(operator);
    // Our own watch: when each record is first seen Approved (the same event the operator's informer gets).
    const approvedAt = new Map<string, number>();
    const watch = new Watch(k.kc);
    const abort = await watch.watch(`/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${RECORDS}`, {}, (_type: string, object: CustomObject) => {
      const name = object.metadata?.name;
      if (name !== undefined && !approvedAt.has(name) && (object.status?.approval as { decision?: string } | undefined)?.decision === 'approved') approvedAt.set(name, performance.now());
    }, () => undefined);
    const latencies: number[] = [];
    const eventsUrl = `http://127.0.0.1:${operator.port}${SLACK_EVENTS_PATH}`;
    for (let i = 0; i < count; i += 1) {
      const created = await createObject(k, RECORDS, namespace, failureRecord({ repository: 'acme/web' }));
      const name = created.metadata.name;
      let card: { channel: string; ts: string } | undefined;
      while (card === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const record = await getObject(k, RECORDS, namespace, name);
        card = (record.status?.approval as { slack?: { channel: string; ts: string } } | undefined)?.slack;
      }
      const message = slack.message(card.channel, card.ts)!;
      const value = JSON.stringify(message.blocks).match(/"value":"(cir1:[^"]+)"/)![1]!;
      const request = signedInteraction(blockActionsPayload({ userId: ALICE, channel: card.channel, messageTs: card.ts, actionId: 'ci_remediator_approve', value }), OPERATOR_SECRET);
      const started = performance.now();
      const response = await fetch(eventsUrl, { method: 'POST', headers: request.headers, body: request.body });
      await response.text();
      while (!approvedAt.has(name)) await new Promise((resolve) => setTimeout(resolve, 2));
      latencies.push(approvedAt.get(name)! - started);
    }
    abort.abort();
    console.log(`operator: ${count} clicks, one at a time, each on a new record's card, through POST /slack/events of the operator process`);
    console.log(`  click to Approved in status (seen by a watch)  p50 ${fmt(median(latencies))}  p99 ${fmt(percentile(latencies, 0.99))}  max ${fmt(Math.max(...latencies))}`);
  } finally {
    await operator.stop();
    await database.drop();
  }
}
