import type { KubernetesObject } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../../src/api/common.ts';
import type { FailureRecord, FailureRecordStatus } from '../../src/api/failure-record.ts';
import { deriveReady, PRE_APPROVAL_CONDITIONS, setCondition } from '../../src/api/lifecycle.ts';
import type { RemediationPolicy } from '../../src/api/remediation-policy.ts';
import { errorMessage } from '../../src/errors.ts';
import type { Notifier, TransitionNotice } from '../../src/notify/notifier.ts';
import { recordDigest, digestsEqual, type RecordRef, type RecordWithUid } from '../../src/slack/approval-digest.ts';
import type { PolicyChannels } from '../../src/slack/channel-routing.ts';
import type { ClickAudit, DecideResult, InteractionDependencies } from '../../src/slack/interaction-handler.ts';
import type { SlackDeliveryError, SlackThreadRef } from '../../src/slack/slack-notifier.ts';
import type { Store } from '../../src/store/index.ts';
import { categoryOf, repositoryOf } from '../controllers/audit-rows.ts';
import { parsePolicy } from '../controllers/policy-index.ts';
import { PLURAL as RECORD_PLURAL, recordRef, type RecordObject } from '../controllers/record-object.ts';
import { POLICY_PLURAL } from '../controllers/remediationpolicy.ts';
import { TransitionWriter } from '../controllers/transition-writer.ts';
import type { EventRecorder } from '../runtime/events.ts';
import { isConflict, isNotFound, patchStatus, type KubeClients } from '../runtime/kube.ts';
import type { Logger } from '../runtime/logger.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import { ConflictError } from '../runtime/reconcile-errors.ts';
import { WriteTracker } from '../runtime/write-tracker.ts';

/**
 * The operator's side of the Slack integration: the callbacks slack-integration.ts asks for, over the API
 * server and the audit store. Served by every replica, leader or not, because a click reaches whichever pod
 * the Service picks:
 *
 *  - a decision is a status write with the resourceVersion of the record as read (a live GET, never a cache)
 *    as its precondition, through the one TransitionWriter (audit row, status, Event, notifier). The status
 *    write is the arbiter: of two replicas (or two people) deciding at once, one write lands and the other gets
 *    a 409, re-reads and answers "already decided by X". So a standby writes decisions too; what it never does
 *    is execute: the Approved record is the leader's execution owner's to run, exactly like AutoApproved;
 *  - the thread's and the card's locations (status.slack, status.approval.slack) and a delivery failure
 *    (condition SlackDelivered=False) are merge patches of their own keys, with the same precondition and a
 *    re-read on conflict; they are not transitions, so they notify nobody;
 *  - the card after a decision: the replica that wrote the decision replaces the card (the click handler);
 *    when the card update failed it asks the notifier to do it again (`refreshCard`). A replica that died
 *    between the decision and the card update leaves a live card behind: the leader that then executes the
 *    Approved record, not having decided it itself, replaces the card once (`CardRecoveringNotifier`). A
 *    Rejected record has no later step, so its card is replaced by the next click on it (refused: "already
 *    decided by X") instead.
 */

const CONFLICT_RETRIES = 5;
/** The condition a message that could not be delivered leaves on its record. */
export const SLACK_DELIVERED_CONDITION = 'SlackDelivered';

export interface OperatorBridgeOptions {
  clients: KubeClients;
  store: () => Promise<Store>;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  /** The notifier the decision's transition is handed to (the Slack notifier, once created). */
  notifier: () => Notifier;
  /** Test hook: called at the named points of a decision (test-hooks.ts CI_REMEDIATOR_TEST_CRASH). */
  checkpoint?: (point: 'before-decision-write' | 'after-decision-write') => void;
  now?: () => Date;
}

export class OperatorBridge {
  readonly #options: OperatorBridgeOptions;
  readonly #transitions: TransitionWriter;
  /** Policies read for a click, by `namespace/name`: channelsFor is synchronous and a standby has no cache. */
  readonly #policies = new Map<string, RemediationPolicy>();
  /** Records whose decision this process wrote (so it updates their card itself): uid -> when. */
  readonly #decidedHere = new Map<string, number>();
  /** The leader's policy cache, when this replica leads. */
  policyFromCache: (namespace: string, name: string) => RemediationPolicy | undefined = () => undefined;

  constructor(options: OperatorBridgeOptions) {
    this.#options = options;
    // Not the leader's write tracker: a decision may be written by any replica, the precondition decides.
    const writes = new WriteTracker(() => true);
    const notifier: Notifier = { notify: (notice) => options.notifier().notify(notice) };
    this.#transitions = new TransitionWriter({ ...options, notifier, writes });
  }

  get decisions(): Omit<InteractionDependencies, 'client' | 'directory' | 'onError'> {
    return {
      getRecord: (ref) => this.getRecord(ref),
      approvalPolicy: (record) => this.#approvalPolicy(record),
      decide: (ref, decision, actor, context) => this.#decide(ref, decision, actor.userId, context),
      audit: (entry) => this.#audit(entry),
    };
  }

  channelsFor = (record: FailureRecord): PolicyChannels | undefined => {
    const name = record.status?.gate?.policyName;
    const namespace = record.metadata.namespace ?? 'default';
    if (name === undefined) return undefined;
    const policy = this.policyFromCache(namespace, name) ?? this.#policies.get(`${namespace}/${name}`);
    return policy === undefined ? undefined : { notifications: policy.spec.notifications, approval: policy.spec.approval };
  };

  saveThread = async (record: FailureRecord, thread: SlackThreadRef): Promise<void> => {
    await this.#patchOwnKey(record, () => ({ slack: { channel: thread.channel, ts: thread.ts, ...(thread.sharedWith !== undefined && { sharedWith: thread.sharedWith }) } }));
  };

  saveCard = async (record: FailureRecord, card: { channel: string; ts: string }): Promise<void> => {
    await this.#patchOwnKey(record, () => ({ approval: { slack: { channel: card.channel, ts: card.ts } } }));
  };

  onDeliveryError = (error: SlackDeliveryError): void => {
    const message = `${error.operation}${error.channel === undefined ? '' : ` to ${error.channel}`} failed: ${error.code}`.slice(0, 1024);
    const ref = { metadata: { namespace: error.record.namespace, name: error.record.name } } as FailureRecord;
    void this.#patchOwnKey(ref, (current) => {
      const conditions = setCondition(current.status?.conditions, { type: SLACK_DELIVERED_CONDITION, status: 'False', reason: 'SlackDeliveryFailed', message }, this.#now());
      return { conditions };
    }).catch((failure: unknown) => this.#options.log.warn({ record: `${error.record.namespace}/${error.record.name}`, err: errorMessage(failure) }, 'delivery failure not recorded on the record'));
  };

  /** Whether this process wrote the decision of the record with `uid` (and so replaces its card itself). */
  decidedHere(uid: string | undefined): boolean {
    return uid !== undefined && this.#decidedHere.has(uid);
  }

  async getRecord(ref: RecordRef): Promise<RecordWithUid | undefined> {
    try {
      const object = (await this.#options.clients.custom.getNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, plural: RECORD_PLURAL, namespace: ref.namespace, name: ref.name })) as RecordWithUid;
      return (object as unknown as RecordObject).metadata?.deletionTimestamp === undefined ? object : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async #approvalPolicy(record: RecordWithUid): Promise<{ name: string; approval: RemediationPolicy['spec']['approval'] } | undefined> {
    const name = record.status?.gate?.policyName;
    const namespace = record.metadata.namespace ?? 'default';
    if (name === undefined) return undefined;
    let object: KubernetesObject;
    try {
      object = (await this.#options.clients.custom.getNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, plural: POLICY_PLURAL, namespace, name })) as KubernetesObject;
    } catch (error) {
      // The policy that gated it is gone: nobody may approve under it (the record is re-gated).
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const parsed = parsePolicy(object);
    if (!parsed.ok) return undefined;
    this.#policies.set(`${namespace}/${name}`, parsed.policy);
    return { name, approval: parsed.policy.spec.approval };
  }

  async #decide(ref: RecordRef, decision: 'approved' | 'rejected', userId: string, context: { expectedDigest: string; at: Date }): Promise<DecideResult> {
    for (let attempt = 0; attempt < CONFLICT_RETRIES; attempt += 1) {
      const record = await this.getRecord(ref);
      if (record === undefined) return { outcome: 'record-gone' };
      const status: FailureRecordStatus = record.status ?? {};
      if (status.phase !== 'AwaitingApproval') {
        const approval = status.approval;
        if (status.phase === 'Expired' || approval?.decision === 'expired') return { outcome: 'expired' };
        if (approval?.decidedBy !== undefined) return { outcome: 'already-decided', decidedBy: approval.decidedBy, ...(approval.decision !== undefined && { decision: approval.decision }) };
        return { outcome: 'stale' };
      }
      const current = recordDigest(record);
      if (current === undefined || !digestsEqual(current, context.expectedDigest)) return { outcome: 'stale' };
      const expiresAt = Date.parse(status.approval?.expiresAt ?? '');
      if (!Number.isNaN(expiresAt) && context.at.getTime() >= expiresAt) return { outcome: 'expired' };

      const to = decision === 'approved' ? 'Approved' : 'Rejected';
      const message = `${decision} in Slack by ${userId}`;
      const generation = record.metadata.generation;
      const observed = generation === undefined ? {} : { observedGeneration: generation };
      let conditions = setCondition(status.conditions, { type: 'Approved', status: decision === 'approved' ? 'True' : 'False', reason: to, message, ...observed }, context.at);
      conditions = setCondition(conditions, deriveReady(conditions, [...PRE_APPROVAL_CONDITIONS, 'Approved'], generation), context.at);
      const next: FailureRecordStatus = { ...status, phase: to, conditions, approval: { ...status.approval, decision, decidedBy: userId, decidedAt: context.at.toISOString() } };
      const object = record as unknown as RecordObject;
      this.#options.checkpoint?.('before-decision-write');
      try {
        const written = await this.#transitions.write({
          key: `${ref.namespace}/${ref.name}`,
          record: object,
          path: [{ from: 'AwaitingApproval', to }],
          reasons: [message],
          about: { ...repositoryOf(object), ...categoryOf(object) },
          status: next,
          event: { type: 'Normal', reason: to, message },
          actor: userId,
          actorType: 'slack',
        });
        this.#remember(record.metadata.uid);
        this.#options.checkpoint?.('after-decision-write');
        return { outcome: 'decided', record: written as unknown as RecordWithUid };
      } catch (error) {
        // Someone else wrote first (another decision, an expiry, a re-gate, a thread save): look again.
        if (error instanceof ConflictError) continue;
        throw error;
      }
    }
    throw new Error(`${ref.namespace}/${ref.name} kept changing while the decision was written (${CONFLICT_RETRIES} conflicts)`);
  }

  async #audit(entry: ClickAudit): Promise<void> {
    const record = await this.getRecord(entry.record).catch(() => undefined);
    const uid = record?.metadata.uid ?? `${entry.record.namespace}/${entry.record.name}`;
    await (await this.#options.store()).appendAudit({
      idempotencyKey: `${uid}/slack-click/${entry.clickId ?? `${entry.actor}/${entry.at.toISOString()}`}`,
      time: entry.at,
      actor: entry.actor,
      actorType: 'slack',
      action: 'slack-click',
      outcome: entry.accepted ? entry.decision : 'refused',
      record: { namespace: entry.record.namespace, name: entry.record.name, ...(record?.metadata.uid !== undefined && { uid: record.metadata.uid }) },
      ...(record !== undefined && { ...repositoryOf(record as unknown as RecordObject), ...categoryOf(record as unknown as RecordObject) }),
      details: { decision: entry.decision, accepted: entry.accepted, ...(entry.reason !== undefined && { reason: entry.reason }), ...(entry.clickId !== undefined && { clickId: entry.clickId }) },
    });
  }

  /** A merge patch of keys only Slack writes, on the record as stored now, retried on a concurrent write. */
  async #patchOwnKey(record: FailureRecord, patch: (current: RecordWithUid) => Partial<FailureRecordStatus>): Promise<void> {
    const ref = { namespace: record.metadata.namespace ?? 'default', name: record.metadata.name };
    for (let attempt = 0; attempt < CONFLICT_RETRIES; attempt += 1) {
      const current = await this.getRecord(ref);
      if (current === undefined) return;
      try {
        await patchStatus(this.#options.clients, recordRef(current as unknown as RecordObject), (current as unknown as RecordObject).metadata?.resourceVersion ?? '', patch(current));
        return;
      } catch (error) {
        if (isConflict(error)) continue;
        throw error;
      }
    }
    throw new Error(`${ref.namespace}/${ref.name} kept changing while Slack's location was saved`);
  }

  #remember(uid: string | undefined): void {
    if (uid === undefined) return;
    const now = Date.now();
    this.#decidedHere.set(uid, now);
    // Only needed until the record executes (seconds); a day bounds the map whatever happens.
    for (const [key, at] of this.#decidedHere) if (now - at > 86_400_000) this.#decidedHere.delete(key);
  }

  #now(): Date {
    return (this.#options.now ?? (() => new Date()))();
  }
}

/**
 * The notifier the leader's controllers use: the Slack notifier, plus the card recovery described above.
 * When the execution owner moves a person's Approved record on and this process did not write the decision,
 * the replica that did may have died before replacing the card: replace it (idempotent, the same content).
 */
export class CardRecoveringNotifier implements Notifier {
  readonly #inner: Notifier & { refreshCard(record: FailureRecord): void };
  readonly #bridge: OperatorBridge;

  constructor(inner: Notifier & { refreshCard(record: FailureRecord): void }, bridge: OperatorBridge) {
    this.#inner = inner;
    this.#bridge = bridge;
  }

  async notify(notice: TransitionNotice): Promise<void> {
    await this.#inner.notify(notice);
    const record = notice.record as RecordWithUid;
    const approval = record.status?.approval;
    if (notice.from === 'Approved' && approval?.slack !== undefined && approval.decision === 'approved' && !this.#bridge.decidedHere(record.metadata.uid)) {
      this.#inner.refreshCard(record);
    }
  }
}
