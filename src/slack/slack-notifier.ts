import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { createHash } from 'node:crypto';
import Bottleneck from 'bottleneck/light.js';
import { parseDuration } from '../duration.ts';
import type { FailurePhase, FailureRecord } from '../api/failure-record.ts';
import type { Notifier, TransitionNotice } from '../notify/notifier.ts';
import type { RecordWithUid } from './approval-digest.ts';
import { routeChannels, type ChannelRoutes, type PolicyChannels } from './channel-routing.ts';
import { approvalCard, decidedCard, escalationMessage, outageSummary, parentMessage, seenAgainReply, stepReply, type SlackMessage } from './messages.ts';

/**
 * The Notifier the operator uses when Slack is configured: one thread per record. The parent message is
 * posted once and updated in place (chat.update) as the record moves; the approval card, the result and the
 * escalation are replies under it (thread_ts). Where the thread lives is handed to `saveThread` (the
 * operator keeps it in status, so a restarted or new leader continues the same thread) and read back from
 * the record, so this class never writes status itself.
 *
 * `notify` returns as soon as the messages are queued: the lifecycle never waits for Slack. Messages for one
 * record are sent in order; messages into one channel are spaced (Slack allows about one message per second
 * per channel), so a burst of records queues instead of being rate limited into loss. A message that still
 * cannot be delivered after the web client's own retries goes to `onDeliveryError`, once, and the record's
 * later messages are still attempted.
 *
 * Calls per record (the figures bench:slack reports): the auto path posts the parent at the gate, updates it
 * at Verifying and at the end, and replies with the result (4); the approval path adds the card and the click's
 * card update and users.info (7). Parent updates that a later update for the same record supersedes are
 * skipped, because every update renders the latest record, not the one in its notice.
 */

export interface SlackThreadRef {
  channel: string;
  ts: string;
  /** This record posts into an earlier record's thread (same failure again) and never updates its parent. */
  sharedWith?: string;
}

export interface SlackDeliveryError {
  record: { namespace: string; name: string };
  /** What could not be sent: `parent`, `parent-update`, `approval-card`, `card-update`, `reply`, `outcome`, `escalation`, `results`. */
  operation: string;
  channel?: string;
  /** Slack's error code (`channel_not_found`, `not_in_channel`, `ratelimited`, …) or the transport's. */
  code: string;
  error: unknown;
}

export interface SlackNotifierOptions {
  client: WebClient;
  /** --slack-default-channel: where a kind goes that the policy leaves unset. */
  defaultChannel?: string;
  /** The governing policy's channel settings (from the operator's policy index); undefined when none governs. */
  channelsFor: (record: FailureRecord) => PolicyChannels | undefined;
  /** Keep the thread's location (status.slack). Called once per thread; failures are reported, not thrown. */
  saveThread: (record: FailureRecord, thread: SlackThreadRef) => Promise<void>;
  /** Keep the approval card's location (status.approval.slack). */
  saveCard?: (record: FailureRecord, card: { channel: string; ts: string }) => Promise<void>;
  onDeliveryError?: (error: SlackDeliveryError) => void;
  /** Minimum time between two messages into one channel (default 1000 ms, Slack's per-channel pace). */
  channelSpacingMs?: number;
  /** Same repository and fingerprint within this window: into the first record's thread (default 1 h; the policy's notifications.repeatWindow wins). */
  repeatWindowMs?: number;
  /**
   * The same fingerprint in this many repositories (default 3) within `outageWindowMs` (default 10 min) is an
   * outage: from then on one summary message, updated in place, instead of a thread per repository.
   */
  outageRepositories?: number;
  outageWindowMs?: number;
  now?: () => Date;
}

export const DEFAULT_REPEAT_WINDOW_MS = 60 * 60 * 1000;
export const DEFAULT_OUTAGE_REPOSITORIES = 3;
export const DEFAULT_OUTAGE_WINDOW_MS = 10 * 60 * 1000;

interface Outage {
  startedAt: number;
  repositories: string[];
  /** The summary message, once the threshold was reached. */
  summary?: SlackThreadRef;
  /** Stands in for a record name in `sharedWith`: the records of an outage share the summary's thread. */
  name: string;
}

/**
 * Phases whose notice updates the parent. Approved is not one: the card in the thread already shows the
 * decision, and the parent moves on at Verifying, moments later. That keeps the approval path within 7 calls.
 */
const PARENT_UPDATES: ReadonlySet<FailurePhase> = new Set(['AutoApproved', 'AwaitingApproval', 'Blocked', 'Rejected', 'Expired', 'Verifying', 'Succeeded', 'Failed', 'RolledBack']);
/** Results posted as replies (with the verification's outcome); a failure is also broadcast, because someone has to act. */
const RESULT_REPLIES: ReadonlySet<FailurePhase> = new Set(['Succeeded', 'Failed', 'RolledBack']);
const ALERTS: ReadonlySet<FailurePhase> = new Set(['Failed', 'RolledBack']);
/**
 * No message of their own: the parent is first posted at the gate's decision (which follows the analysis in
 * the same reconcile), so it shows the analysis and the decision at once instead of being posted and
 * immediately edited. A record that stops before the gate gets its parent with its next notice.
 */
const SILENT: ReadonlySet<FailurePhase> = new Set(['Pending', 'Analyzing', 'Analyzed', 'Executing']);

type Operation = { kind: 'ensure-thread' } | { kind: 'parent-update' } | { kind: 'card' } | { kind: 'card-update'; notice: TransitionNotice } | { kind: 'reply'; notice: TransitionNotice } | { kind: 'escalation'; notice: TransitionNotice } | { kind: 'outcome'; notice: TransitionNotice };

export class SlackNotifier implements Notifier {
  readonly #options: SlackNotifierOptions;
  readonly #now: () => Date;
  readonly #limiter: Bottleneck.Group;
  readonly #threads = new Map<string, SlackThreadRef>();
  readonly #cards = new Map<string, { channel: string; ts: string }>();
  readonly #latest = new Map<string, RecordWithUid>();
  readonly #pendingParentUpdates = new Map<string, number>();
  readonly #chains = new Map<string, Promise<void>>();
  /** `repository#fingerprint` -> the first record's thread and when it was opened. */
  readonly #repeats = new Map<string, { thread: SlackThreadRef; name: string; at: number }>();
  /** fingerprint -> the repositories that reported it in the current outage window. */
  readonly #outages = new Map<string, Outage>();
  /** `#name` -> id, learned from chat.postMessage answers, so a route by name and a thread by id compare equal. */
  readonly #channelIds = new Map<string, string>();
  #delivered = 0;
  #failed = 0;

  constructor(options: SlackNotifierOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#limiter = new Bottleneck.Group({ maxConcurrent: 1, minTime: options.channelSpacingMs ?? 1000 });
  }

  /** Messages delivered and given up on since start (for metrics and the benchmark). */
  get counts(): { delivered: number; failed: number } {
    return { delivered: this.#delivered, failed: this.#failed };
  }

  async notify(notice: TransitionNotice): Promise<void> {
    if (SILENT.has(notice.to)) return;
    const key = keyOf(notice.record);
    this.#latest.set(key, notice.record as RecordWithUid);
    const operations: Operation[] = [{ kind: 'ensure-thread' }];
    if (PARENT_UPDATES.has(notice.to)) {
      this.#pendingParentUpdates.set(key, (this.#pendingParentUpdates.get(key) ?? 0) + 1);
      operations.push({ kind: 'parent-update' });
    }
    // An accepted click already replaced the card (the interaction handler); an expiry or a re-gate did not.
    // Before a new card: a re-gate that still needs a person (AwaitingApproval -> AwaitingApproval under a
    // new policy generation) retires the old card, then posts one with the new digest.
    if (notice.from === 'AwaitingApproval' && !isSlackUser(notice.actor)) operations.push({ kind: 'card-update', notice });
    if (notice.to === 'AwaitingApproval') operations.push({ kind: 'card' });
    if (notice.to === 'Approved' || notice.to === 'Rejected' || notice.to === 'Expired') operations.push({ kind: 'outcome', notice });
    if (notice.to === 'Expired') operations.push({ kind: 'escalation', notice });
    if (RESULT_REPLIES.has(notice.to)) operations.push({ kind: 'reply', notice });
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.#run(key, operations));
    this.#chains.set(key, next);
    void next.finally(() => {
      if (this.#chains.get(key) === next) {
        this.#chains.delete(key);
        // Terminal records get no more notices; forget them (status keeps the thread if one comes anyway).
        const phase = this.#latest.get(key)?.status?.phase;
        if (phase !== undefined && isTerminal(phase)) {
          this.#latest.delete(key);
          this.#threads.delete(key);
          this.#cards.delete(key);
        }
      }
    });
  }

  /**
   * Replaces the record's approval card with its decision again. For when the replica that took the click
   * could not update the card (it crashed after the decision was written, or chat.update failed): the
   * operator calls this for a decided record whose card may still be live. Idempotent.
   */
  refreshCard(record: FailureRecord): void {
    const key = keyOf(record);
    this.#latest.set(key, record as RecordWithUid);
    const at = record.status?.approval?.decidedAt;
    const notice: TransitionNotice = { record, from: 'AwaitingApproval', to: record.status?.phase ?? 'Approved', reason: 'CardRefreshed', message: '', actor: 'operator', at: at === undefined ? this.#now() : new Date(at) };
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.#run(key, [{ kind: 'card-update', notice }]));
    this.#chains.set(key, next);
    void next.finally(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
  }

  /** Resolves when every queued message was sent or given up on (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  async stop(): Promise<void> {
    await this.idle();
    await this.#limiter.disconnect();
  }

  async #run(key: string, operations: readonly Operation[]): Promise<void> {
    // A parent posted in this run already shows the latest record; updating it again would be a wasted call.
    let justPosted = false;
    for (const operation of operations) {
      const record = this.#latest.get(key);
      if (record === undefined) return;
      const routes = this.#routes(record);
      const thread = this.#threadOf(key, record);
      switch (operation.kind) {
        case 'ensure-thread':
          if (thread !== undefined) break;
          if (!(await this.#openThread(key, record, routes))) return;
          justPosted = true;
          break;
        case 'parent-update': {
          const left = (this.#pendingParentUpdates.get(key) ?? 1) - 1;
          if (left <= 0) this.#pendingParentUpdates.delete(key);
          else this.#pendingParentUpdates.set(key, left);
          // A later update renders the same (latest) record, or the thread was just posted with it.
          if (left > 0 || thread === undefined || thread.sharedWith !== undefined || justPosted) break;
          await this.#send(record, 'parent-update', thread.channel, (client) => client.chat.update({ channel: thread.channel, ts: thread.ts, ...parentMessage(record) }));
          break;
        }
        case 'card':
          // Re-gated or decided before the queue reached it: a card now would only be a dead button.
          if (thread !== undefined && record.status?.phase === 'AwaitingApproval') await this.#postCard(key, record, routes, thread);
          break;
        case 'card-update': {
          const card = this.#cardOf(key, record);
          if (card === undefined) break;
          const approval = record.status?.approval;
          const message =
            approval?.decision !== undefined
              ? decidedCard(record, { decision: approval.decision, by: approval.decidedBy ?? operation.notice.actor, at: new Date(approval.decidedAt ?? operation.notice.at.toISOString()) })
              : supersededCard(operation.notice);
          await this.#send(record, 'card-update', card.channel, (client) => client.chat.update({ channel: card.channel, ts: card.ts, ...message }));
          break;
        }
        case 'reply':
          if (thread === undefined) break;
          await this.#reply(record, thread, stepReply(record, operation.notice), ALERTS.has(operation.notice.to));
          if (routes.results !== undefined && routes.results !== thread.channel && operation.notice.to !== 'Verifying') {
            const message = stepReply(record, operation.notice);
            await this.#send(record, 'results', routes.results, (client) => client.chat.postMessage({ channel: routes.results!, ...message }));
          }
          break;
        case 'outcome': {
          // notifications.approvals: the outcome also where approvals are followed, unless the card is there already.
          const card = this.#cardOf(key, record);
          const approval = record.status?.approval;
          if (routes.approvals === undefined || routes.approvals === card?.channel || routes.approvals === thread?.channel || approval?.decision === undefined) break;
          const message = decidedCard(record, { decision: approval.decision, by: approval.decidedBy ?? operation.notice.actor, at: new Date(approval.decidedAt ?? operation.notice.at.toISOString()) });
          await this.#send(record, 'outcome', routes.approvals, (client) => client.chat.postMessage({ channel: routes.approvals!, ...message }));
          break;
        }
        case 'escalation': {
          const message = escalationMessage(record);
          if (thread !== undefined) await this.#reply(record, thread, message, false);
          if (routes.escalation !== undefined) {
            await this.#send(record, 'escalation', routes.escalation, (client) => client.chat.postMessage({ channel: routes.escalation!, ...message }));
          }
          break;
        }
      }
    }
  }

  async #openThread(key: string, record: RecordWithUid, routes: ChannelRoutes): Promise<boolean> {
    const repeatKey = `${record.spec.repository.toLowerCase()}#${record.spec.fingerprint}`;
    const windowMs = this.#repeatWindow(record);
    const nowMs = this.#now().getTime();
    const earlier = this.#repeats.get(repeatKey);
    if (earlier !== undefined && earlier.name !== record.metadata.name && nowMs - earlier.at < windowMs) {
      const shared: SlackThreadRef = { channel: earlier.thread.channel, ts: earlier.thread.ts, sharedWith: earlier.name };
      const posted = await this.#reply(record, shared, seenAgainReply(record), false);
      if (!posted) return false;
      await this.#keepThread(key, record, shared);
      return true;
    }
    if (routes.thread === undefined) {
      this.#report(record, 'parent', undefined, 'no_channel', new Error('No Slack channel: the policy sets no notifications.failures and the operator has no --slack-default-channel.'));
      return false;
    }
    const channel = routes.thread;
    const outage = await this.#joinOutage(key, record, channel, nowMs);
    if (outage !== undefined) return outage;
    const answer = await this.#send(record, 'parent', channel, (client) => client.chat.postMessage({ channel, ...parentMessage(record), unfurl_links: false }));
    if (answer?.ts === undefined) return false;
    const thread: SlackThreadRef = { channel: answer.channel ?? channel, ts: answer.ts };
    await this.#keepThread(key, record, thread);
    if (windowMs > 0) {
      this.#repeats.set(repeatKey, { thread, name: record.metadata.name, at: nowMs });
      this.#pruneRepeats(nowMs);
    }
    return true;
  }

  /**
   * Counts the record's repository towards an outage of its fingerprint in this channel. Below the threshold,
   * undefined (open a thread as usual); at or above it, the record goes into the summary's thread (posted on
   * reaching the threshold, updated as repositories join) and the answer says whether that worked.
   */
  async #joinOutage(key: string, record: RecordWithUid, channel: string, nowMs: number): Promise<boolean | undefined> {
    const threshold = this.#options.outageRepositories ?? DEFAULT_OUTAGE_REPOSITORIES;
    const windowMs = this.#options.outageWindowMs ?? DEFAULT_OUTAGE_WINDOW_MS;
    if (threshold <= 1 || windowMs <= 0) return undefined;
    // By fingerprint alone: a channel named `#ci` and its id are the same channel, and an outage is one event
    // even when policies route repositories to different channels (the summary goes where the threshold was reached).
    const outageKey = record.spec.fingerprint;
    let outage = this.#outages.get(outageKey);
    if (outage === undefined || nowMs - outage.startedAt >= windowMs) {
      const hash = createHash('sha256').update(outageKey).digest('hex').slice(0, 16);
      outage = { startedAt: nowMs, repositories: [], name: `outage-${hash}` };
      this.#outages.set(outageKey, outage);
      this.#pruneOutages(nowMs, windowMs);
    }
    const repository = record.spec.repository.toLowerCase();
    if (!outage.repositories.includes(repository)) outage.repositories.push(repository);
    if (outage.repositories.length < threshold) return undefined;
    const message = outageSummary(record, outage.repositories, new Date(outage.startedAt));
    if (outage.summary === undefined) {
      const answer = await this.#send(record, 'outage-summary', channel, (client) => client.chat.postMessage({ channel, ...message, unfurl_links: false }));
      if (answer?.ts === undefined) return false;
      outage.summary = { channel: answer.channel ?? channel, ts: answer.ts, sharedWith: outage.name };
    } else {
      const summary = outage.summary;
      await this.#send(record, 'outage-summary', summary.channel, (client) => client.chat.update({ channel: summary.channel, ts: summary.ts, ...message }));
    }
    if (!(await this.#reply(record, outage.summary, seenAgainReply(record), false))) return false;
    await this.#keepThread(key, record, outage.summary);
    return true;
  }

  #pruneOutages(nowMs: number, windowMs: number): void {
    for (const [key, outage] of this.#outages) if (nowMs - outage.startedAt >= windowMs) this.#outages.delete(key);
  }

  async #keepThread(key: string, record: FailureRecord, thread: SlackThreadRef): Promise<void> {
    this.#threads.set(key, thread);
    await this.#options.saveThread(record, thread).catch((error: unknown) => this.#report(record, 'save-thread', thread.channel, 'save_failed', error));
  }

  async #postCard(key: string, record: RecordWithUid, routes: ChannelRoutes, thread: SlackThreadRef): Promise<void> {
    const expiresAt = record.status?.approval?.expiresAt;
    let message: SlackMessage;
    try {
      message = approvalCard(record, expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt) });
    } catch (error) {
      this.#report(record, 'approval-card', undefined, 'nothing_to_approve', error);
      return;
    }
    const channel = routes.approval ?? thread.channel;
    const inThread = channel === thread.channel;
    const answer = await this.#send(record, 'approval-card', channel, (client) =>
      client.chat.postMessage({ channel, ...message, ...(inThread && { thread_ts: thread.ts }) }),
    );
    if (answer?.ts === undefined) return;
    const card = { channel: answer.channel ?? channel, ts: answer.ts };
    this.#cards.set(key, card);
    await this.#options.saveCard?.(record, card).catch((error: unknown) => this.#report(record, 'save-card', card.channel, 'save_failed', error));
    if (!inThread) {
      await this.#reply(record, thread, { text: `Approval requested in <#${card.channel}>.`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:raised_hand: Approval requested in <#${card.channel}>.` } }] }, false);
    }
  }

  async #reply(record: FailureRecord, thread: SlackThreadRef, message: SlackMessage, broadcast: boolean): Promise<boolean> {
    const answer = await this.#send(record, 'reply', thread.channel, (client) =>
      client.chat.postMessage({ channel: thread.channel, thread_ts: thread.ts, ...message, reply_broadcast: broadcast }),
    );
    return answer !== undefined;
  }

  async #send<T extends { ts?: string; channel?: string }>(record: FailureRecord, operation: string, channel: string, call: (client: WebClient) => Promise<T>): Promise<T | undefined> {
    try {
      const answer = await this.#limiter.key(this.#channelIds.get(channel) ?? channel).schedule(() => call(this.#options.client));
      this.#delivered += 1;
      if (channel.startsWith('#') && answer.channel !== undefined && answer.channel !== channel) this.#channelIds.set(channel, answer.channel);
      return answer;
    } catch (error) {
      this.#report(record, operation, channel, slackErrorCode(error), error);
      return undefined;
    }
  }

  #report(record: FailureRecord, operation: string, channel: string | undefined, code: string, error: unknown): void {
    this.#failed += 1;
    try {
      this.#options.onDeliveryError?.({ record: { namespace: record.metadata.namespace ?? 'default', name: record.metadata.name }, operation, ...(channel !== undefined && { channel }), code, error });
    } catch {
      // The reporter is the caller's; a bug there must not stop this record's other messages.
    }
  }

  #routes(record: FailureRecord): ChannelRoutes {
    const routes = routeChannels(this.#options.channelsFor(record), this.#options.defaultChannel);
    for (const kind of Object.keys(routes) as (keyof ChannelRoutes)[]) {
      const id = this.#channelIds.get(routes[kind]!);
      if (id !== undefined) routes[kind] = id;
    }
    return routes;
  }

  #repeatWindow(record: FailureRecord): number {
    const configured = this.#options.channelsFor(record)?.notifications.repeatWindow;
    const ms = configured === undefined ? undefined : parseDuration(configured);
    return ms ?? this.#options.repeatWindowMs ?? DEFAULT_REPEAT_WINDOW_MS;
  }

  #threadOf(key: string, record: FailureRecord): SlackThreadRef | undefined {
    const known = this.#threads.get(key);
    if (known !== undefined) return known;
    const stored = record.status?.slack;
    if (stored === undefined) return undefined;
    const thread: SlackThreadRef = { channel: stored.channel, ts: stored.ts, ...(stored.sharedWith !== undefined && { sharedWith: stored.sharedWith }) };
    this.#threads.set(key, thread);
    return thread;
  }

  #cardOf(key: string, record: FailureRecord): { channel: string; ts: string } | undefined {
    return this.#cards.get(key) ?? record.status?.approval?.slack;
  }

  #pruneRepeats(nowMs: number): void {
    for (const [key, entry] of this.#repeats) {
      if (nowMs - entry.at >= DEFAULT_REPEAT_WINDOW_MS * 24) this.#repeats.delete(key);
    }
  }
}

function supersededCard(notice: TransitionNotice): SlackMessage {
  const text = `:arrows_counterclockwise: No longer waiting for a decision: ${notice.message === '' ? `now ${notice.to}` : notice.message}`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').slice(0, 2900) } }];
  return { text, blocks };
}

function keyOf(record: FailureRecord): string {
  return `${record.metadata.namespace ?? 'default'}/${record.metadata.name}`;
}

function isSlackUser(actor: string): boolean {
  return /^[UW][A-Z0-9]{2,20}$/.test(actor);
}

function isTerminal(phase: FailurePhase): boolean {
  return phase === 'Rejected' || phase === 'Expired' || phase === 'Blocked' || phase === 'Succeeded' || phase === 'Failed' || phase === 'RolledBack';
}

/** Slack's `error` field (`channel_not_found`), else the web client's code (`slack_webapi_request_error`), else `unknown`. */
export function slackErrorCode(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const data = (error as { data?: { error?: unknown } }).data;
    if (typeof data?.error === 'string') return data.error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return 'unknown';
}
