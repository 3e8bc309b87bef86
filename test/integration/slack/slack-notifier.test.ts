import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { FailurePhase, FailureRecord } from '../../../src/api/failure-record.ts';
import type { TransitionNotice } from '../../../src/notify/notifier.ts';
import type { PolicyChannels } from '../../../src/slack/channel-routing.ts';
import { createSlackClient } from '../../../src/slack/slack-client.ts';
import { SlackNotifier, type SlackDeliveryError, type SlackThreadRef } from '../../../src/slack/slack-notifier.ts';
import { SlackServer } from '../../support/slack-server.ts';
import { slackRecord, type RecordOptions } from '../../support/slack-records.ts';

// The notifier against the local Slack Web API, through the production web client: what a channel shows.

let slack: SlackServer;

beforeEach(async () => {
  slack = await new SlackServer().start();
});

afterEach(async () => {
  await slack.stop();
});

interface Harness {
  notifier: SlackNotifier;
  saved: Map<string, SlackThreadRef>;
  cards: Map<string, { channel: string; ts: string }>;
  errors: SlackDeliveryError[];
}

function harness(options: { channels?: PolicyChannels; defaultChannel?: string; spacingMs?: number; retries?: number; now?: () => Date } = {}): Harness {
  const saved = new Map<string, SlackThreadRef>();
  const cards = new Map<string, { channel: string; ts: string }>();
  const errors: SlackDeliveryError[] = [];
  const client = createSlackClient({ token: slack.token, slackApiUrl: slack.apiUrl, retryConfig: { retries: options.retries ?? 2, factor: 1, minTimeout: 10, maxTimeout: 20 } });
  const notifier = new SlackNotifier({
    client,
    defaultChannel: options.defaultChannel ?? '#ci',
    channelsFor: () => options.channels,
    saveThread: async (record, thread) => {
      saved.set(record.metadata.name, thread);
    },
    saveCard: async (record, card) => {
      cards.set(record.metadata.name, card);
    },
    onDeliveryError: (error) => errors.push(error),
    channelSpacingMs: options.spacingMs ?? 0,
    ...(options.now !== undefined && { now: options.now }),
  });
  return { notifier, saved, cards, errors };
}

/** A record moved to `to`, with the thread kept in status as the operator would write it. */
function at(record: FailureRecord, to: FailurePhase, thread?: SlackThreadRef, card?: { channel: string; ts: string }): FailureRecord {
  const status = { ...record.status, phase: to, ...(thread !== undefined && { slack: thread }) };
  if (card !== undefined) status.approval = { ...status.approval, slack: card };
  return { ...record, status };
}

function notice(record: FailureRecord, from: FailurePhase, to: FailurePhase, extra: Partial<TransitionNotice> = {}): TransitionNotice {
  return { record: at(record, to), from, to, reason: to, message: '', actor: 'operator', at: new Date('2026-12-04T20:01:00Z'), ...extra };
}

async function walk(h: Harness, options: RecordOptions, path: FailurePhase[], extra: (to: FailurePhase) => Partial<TransitionNotice> = () => ({})): Promise<FailureRecord> {
  const record = slackRecord(options);
  for (let i = 1; i < path.length; i += 1) {
    await h.notifier.notify(notice(record, path[i - 1]!, path[i]!, extra(path[i]!)));
  }
  await h.notifier.idle();
  return record;
}

describe('SlackNotifier', () => {
  it('keeps one thread per record: the parent is updated in place and the result is a reply', async () => {
    const h = harness();
    await walk(h, {}, ['Pending', 'Analyzing', 'Analyzed', 'AutoApproved', 'Executing', 'Verifying', 'Succeeded']);
    const parents = slack.parents('#ci');
    expect(parents).toHaveLength(1);
    const parent = parents[0]!;
    expect(h.saved.get('acme-web-18235534013-1')).toEqual({ channel: 'C0CIFAIL01', ts: parent.ts });
    expect(parent.edited).toBe(true);
    expect(parent.text).toMatch(/^:large_green_circle: Fixed: acme\/web/);
    // Posted at the gate (AutoApproved); the Verifying update was superseded by the Succeeded one queued behind it.
    expect(parent.history.map((version) => version.text)).toEqual([expect.stringMatching(/^:white_check_mark: Approved automatically: /)]);
    const replies = slack.replies('#ci', parent.ts).map((reply) => reply.text);
    expect(replies).toEqual([expect.stringMatching(/^Fixed: /)]);
    expect(h.errors).toEqual([]);
    // The auto path's budget: parent, its updates and the replies.
    expect(slack.callCount('chat.postMessage') + slack.callCount('chat.update')).toBeLessThanOrEqual(4);
  });

  it('posts the approval card into the thread and keeps where it is', async () => {
    const h = harness();
    await walk(h, {}, ['Analyzing', 'Analyzed', 'AwaitingApproval']);
    const parent = slack.parents('#ci')[0]!;
    const [card] = slack.replies('#ci', parent.ts);
    expect(card!.text).toMatch(/^Approval needed: rerun-failed-jobs/);
    expect(JSON.stringify(card!.blocks)).toContain('ci_remediator_approve');
    expect(h.cards.get('acme-web-18235534013-1')).toEqual({ channel: 'C0CIFAIL01', ts: card!.ts });
  });

  it('posts the card in the approval channel when the policy names another one, and says so in the thread', async () => {
    const h = harness({ channels: { notifications: { repeatWindow: '1h' }, approval: { channel: '#approvals' } } });
    await walk(h, {}, ['Analyzing', 'Analyzed', 'AwaitingApproval']);
    const parent = slack.parents('#ci')[0]!;
    expect(slack.parents('#approvals')).toHaveLength(1);
    expect(slack.parents('#approvals')[0]!.text).toMatch(/^Approval needed/);
    expect(slack.replies('#ci', parent.ts).map((reply) => reply.text)).toEqual(['Approval requested in <#C0APPROV01>.']);
  });

  it('continues the thread kept in status after a restart instead of posting a second parent', async () => {
    const first = harness();
    const record = await walk(first, {}, ['Analyzing', 'Analyzed', 'AwaitingApproval']);
    const thread = first.saved.get(record.metadata.name)!;
    const card = first.cards.get(record.metadata.name)!;
    // A new leader: a new notifier that knows nothing but the record's status.
    const second = harness();
    const approved = at(record, 'Approved', thread, card);
    approved.status!.approval = { ...approved.status!.approval, decision: 'approved', decidedBy: 'U0ALICE001', decidedAt: '2026-12-04T20:02:00Z' };
    await second.notifier.notify({ record: approved, from: 'AwaitingApproval', to: 'Approved', reason: 'Approved', message: '', actor: 'U0ALICE001', at: new Date() });
    await second.notifier.notify({ record: at(approved, 'Failed'), from: 'Approved', to: 'Failed', reason: 'ExecutionFailed', message: 'GitHub refused the re-run: 403.', actor: 'operator', at: new Date() });
    await second.notifier.idle();
    expect(slack.parents('#ci')).toHaveLength(1);
    expect(second.saved.size).toBe(0);
    const replies = slack.replies('#ci', thread.ts);
    const failed = replies.at(-1)!;
    expect(failed.text).toMatch(/^Remediation failed: /);
    expect(failed.reply_broadcast).toBe(true);
    expect(JSON.stringify(failed.blocks)).toContain('GitHub refused the re-run: 403.');
  });

  it('updates the card and escalates when a request expires', async () => {
    const h = harness({ channels: { notifications: { repeatWindow: '1h' }, approval: { escalationChannel: '#alerts' } } });
    const record = await walk(h, {}, ['Analyzing', 'Analyzed', 'AwaitingApproval']);
    const thread = h.saved.get(record.metadata.name)!;
    const card = h.cards.get(record.metadata.name)!;
    const expired = at(record, 'Expired', thread, card);
    expired.status!.approval = { ...expired.status!.approval, decision: 'expired', decidedBy: 'system', decidedAt: '2026-12-05T20:00:05Z' };
    await h.notifier.notify({ record: expired, from: 'AwaitingApproval', to: 'Expired', reason: 'Expired', message: '', actor: 'system', at: new Date() });
    await h.notifier.idle();
    const updated = slack.message('#ci', card.ts)!;
    expect(updated.text).toMatch(/^Expired nobody decided in time/);
    expect(JSON.stringify(updated.blocks)).not.toContain('ci_remediator_approve');
    expect(slack.parents('#alerts').map((message) => message.text)).toEqual([expect.stringMatching(/^Approval expired: acme\/web/)]);
    expect(slack.replies('#ci', thread.ts).map((message) => message.text)).toContainEqual(expect.stringMatching(/^Approval expired/));
  });

  it('retires the old card and posts a new one when a policy change re-gates a waiting record', async () => {
    const h = harness();
    const record = await walk(h, { policyGeneration: 3 }, ['Analyzing', 'Analyzed', 'AwaitingApproval']);
    const oldCard = h.cards.get(record.metadata.name)!;
    const regated = at(slackRecord({ policyGeneration: 4 }), 'AwaitingApproval', h.saved.get(record.metadata.name), oldCard);
    await h.notifier.notify({ record: regated, from: 'AwaitingApproval', to: 'AwaitingApproval', reason: 'Regated', message: 'Re-gated under policy web generation 4.', actor: 'operator', at: new Date() });
    await h.notifier.idle();
    expect(slack.message(oldCard.channel, oldCard.ts)!.text).toBe(':arrows_counterclockwise: No longer waiting for a decision: Re-gated under policy web generation 4.');
    const newCard = h.cards.get(record.metadata.name)!;
    expect(newCard.ts).not.toBe(oldCard.ts);
    expect(JSON.stringify(slack.message(newCard.channel, newCard.ts)!.blocks)).toContain('ci_remediator_approve');
  });

  it('replaces a card left live when the clicking replica could not, on request', async () => {
    const h = harness();
    const record = await walk(h, {}, ['Analyzing', 'Analyzed', 'AwaitingApproval']);
    const card = h.cards.get(record.metadata.name)!;
    const approved = at(record, 'Approved', h.saved.get(record.metadata.name), card);
    approved.status!.approval = { ...approved.status!.approval, decision: 'approved', decidedBy: 'U0ALICE001', decidedAt: '2026-12-04T20:02:00Z' };
    // The click's replica wrote the decision and died before chat.update: the Approved notice leaves the card alone.
    await h.notifier.notify({ record: approved, from: 'AwaitingApproval', to: 'Approved', reason: 'Approved', message: '', actor: 'U0ALICE001', at: new Date() });
    await h.notifier.idle();
    expect(JSON.stringify(slack.message(card.channel, card.ts)!.blocks)).toContain('ci_remediator_approve');
    h.notifier.refreshCard(approved);
    await h.notifier.idle();
    expect(slack.message(card.channel, card.ts)!.text).toMatch(/^Approved by <@U0ALICE001>/);
  });

  it('posts the outcome where approvals are followed when that is another channel', async () => {
    const h = harness({ channels: { notifications: { approvals: '#alerts', repeatWindow: '1h' }, approval: {} } });
    const record = await walk(h, {}, ['Analyzing', 'Analyzed', 'AwaitingApproval']);
    const approved = at(record, 'Approved', h.saved.get(record.metadata.name), h.cards.get(record.metadata.name));
    approved.status!.approval = { ...approved.status!.approval, decision: 'rejected', decidedBy: 'U0ALICE001', decidedAt: '2026-12-04T20:02:00Z' };
    await h.notifier.notify({ record: { ...approved, status: { ...approved.status, phase: 'Rejected' } }, from: 'AwaitingApproval', to: 'Rejected', reason: 'Rejected', message: '', actor: 'U0ALICE001', at: new Date() });
    await h.notifier.idle();
    expect(slack.parents('#alerts').map((message) => message.text)).toEqual([expect.stringMatching(/^Rejected by <@U0ALICE001>: acme\/web/)]);
  });

  it('posts a repeat of the same failure into the first thread', async () => {
    const h = harness();
    await walk(h, { runId: 18235534013 }, ['Analyzing', 'Analyzed', 'Blocked']);
    await walk(h, { runId: 18235534099 }, ['Analyzing', 'Analyzed', 'Blocked']);
    await walk(h, { runId: 18235534100, repository: 'acme/api' }, ['Analyzing', 'Analyzed', 'Blocked']);
    const parents = slack.parents('#ci');
    expect(parents).toHaveLength(2);
    const first = parents[0]!;
    expect(slack.replies('#ci', first.ts).map((reply) => reply.text)).toEqual(['Seen again: run 18235534099 (acme/web)']);
    expect(h.saved.get('acme-web-18235534099-1')).toEqual({ channel: 'C0CIFAIL01', ts: first.ts, sharedWith: 'acme-web-18235534013-1' });
    // The first record's parent still describes the first record.
    expect(first.text).toContain('run 18235534013');
  });

  it('summarizes the same failure across many repositories in one message', async () => {
    const h = harness();
    const repositories = ['acme/web', 'acme/api', 'acme/docs', 'acme/mobile', 'acme/infra'];
    for (const [i, repository] of repositories.entries()) await walk(h, { repository, runId: 4000 + i, name: `outage-${i}` }, ['Analyzed', 'Blocked']);
    const parents = slack.parents('#ci');
    // The first two repositories got their own threads; the third made it an outage.
    expect(parents.map((message) => message.text)).toEqual([
      expect.stringMatching(/^:no_entry: Blocked: acme\/web/),
      expect.stringMatching(/^:no_entry: Blocked: acme\/api/),
      'The same failure in 5 repositories: acme/web, acme/api, acme/docs, acme/mobile, acme/infra',
    ]);
    const summary = parents[2]!;
    expect(summary.history).toHaveLength(2);
    expect(slack.replies('#ci', summary.ts).map((reply) => reply.text)).toEqual([
      'Seen again: run 4002 (acme/docs)',
      'Seen again: run 4003 (acme/mobile)',
      'Seen again: run 4004 (acme/infra)',
    ]);
    expect(h.saved.get('outage-4')).toEqual({ channel: 'C0CIFAIL01', ts: summary.ts, sharedWith: expect.stringMatching(/^outage-[0-9a-f]{16}$/) });
  });

  it('opens a new thread once the repeat window has passed', async () => {
    let now = new Date('2026-12-04T20:00:00Z');
    const h = harness({ now: () => now });
    await walk(h, { runId: 1001 }, ['Analyzing', 'Analyzed', 'Blocked']);
    now = new Date('2026-12-04T21:00:01Z');
    await walk(h, { runId: 1002 }, ['Analyzing', 'Analyzed', 'Blocked']);
    expect(slack.parents('#ci')).toHaveLength(2);
  });

  it('waits out 429s with Retry-After and retries 5xx: nothing is lost', async () => {
    const h = harness();
    slack.inject('chat.postMessage', { status: 429, retryAfterSeconds: 1 });
    slack.inject('chat.postMessage', { status: 503 });
    const started = Date.now();
    await walk(h, {}, ['Analyzing', 'Analyzed', 'AwaitingApproval']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(slack.parents('#ci')).toHaveLength(1);
    expect(slack.replies('#ci', slack.parents('#ci')[0]!.ts)).toHaveLength(1);
    expect(h.errors).toEqual([]);
    expect(slack.callCount('chat.postMessage')).toBe(4);
  });

  it('reports a message it cannot post, never throws, and still tries the next record', async () => {
    const h = harness({ defaultChannel: '#nowhere' });
    await expect(walk(h, { runId: 2001 }, ['Analyzing', 'Analyzed', 'AwaitingApproval'])).resolves.toBeDefined();
    // Each notice tries the parent again (the channel may have been fixed); each failure is reported.
    expect(h.errors.length).toBeGreaterThanOrEqual(1);
    for (const error of h.errors) {
      expect(error).toEqual(expect.objectContaining({ record: { namespace: 'ci', name: 'acme-web-2001-1' }, operation: 'parent', channel: '#nowhere', code: 'channel_not_found' }));
    }
    const retried = harness({ retries: 1 });
    slack.inject('chat.postMessage', { status: 500 }, 2);
    await walk(retried, { runId: 2002 }, ['Analyzing', 'Analyzed', 'Blocked']);
    // The Blocked notice's parent failed after its retry; the record's next notice would post it.
    expect(retried.errors.map((error) => [error.operation, error.code])).toEqual([['parent', 'slack_webapi_http_error']]);
    expect(slack.parents('#ci')).toHaveLength(0);
    await retried.notifier.notify(notice(slackRecord({ runId: 2002 }), 'Blocked', 'Blocked'));
    await retried.notifier.idle();
    expect(slack.parents('#ci').map((message) => message.text)).toEqual([expect.stringMatching(/Blocked: acme\/web: CI failed on main \(run 2002/)]);
    await walk(retried, { runId: 2003, fingerprint: 'rules:v1:ffffffffffffffffffff' }, ['Analyzing', 'Analyzed', 'Blocked']);
    expect(slack.parents('#ci')).toHaveLength(2);
  });

  it('says so when there is no channel at all', async () => {
    const errors: SlackDeliveryError[] = [];
    const notifier = new SlackNotifier({
      client: createSlackClient({ token: slack.token, slackApiUrl: slack.apiUrl }),
      channelsFor: () => undefined,
      saveThread: async () => undefined,
      onDeliveryError: (error) => errors.push(error),
    });
    await notifier.notify(notice(slackRecord(), 'Analyzed', 'AwaitingApproval'));
    await notifier.idle();
    expect(errors.map((error) => error.code)).toEqual(['no_channel']);
    expect(slack.callCount()).toBe(0);
  });

  it('spaces messages into one channel and queues a burst without losing any', async () => {
    const h = harness({ spacingMs: 50 });
    const records = Array.from({ length: 10 }, (_, i) => slackRecord({ runId: 3000 + i, fingerprint: `rules:v1:${String(i).padStart(20, '0')}` }));
    for (const record of records) await h.notifier.notify(notice(record, 'Analyzed', 'Blocked'));
    await h.notifier.idle();
    const posts = slack.requests.filter((request) => request.method === 'chat.postMessage');
    expect(posts).toHaveLength(10);
    // The limiter keeps the average pace (a late timer is made up by the next gap), so check the whole span.
    expect(posts.at(-1)!.at - posts[0]!.at).toBeGreaterThanOrEqual(9 * 50 - 30);
    expect(slack.parents('#ci')).toHaveLength(10);
  });
});
