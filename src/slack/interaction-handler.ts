import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { PolicyApproval } from '../api/remediation-policy.ts';
import { errorMessage } from '../errors.ts';
import { decodeButtonValue, digestsEqual, recordDigest, type RecordRef, type RecordWithUid } from './approval-digest.ts';
import { checkApprover, type ApproverDirectory } from './approver-check.ts';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID, decidedCard, refusalMessage } from './messages.ts';
import { refusalSentence, type RefusalContext, type RefusalReason } from './refusals.ts';

/**
 * A click on Approve or Reject, after the receiver verified the request and acknowledged it. In the order
 * CONVENTIONS.md asks for: check the person, check that what they clicked still matches the record (the
 * digest, the phase), then let `decide` write with a precondition (the first decision wins, across replicas
 * and restarts). Then the card is replaced by the decision (accepted), or the person is told why not
 * (refused, ephemerally). Every click, either way, goes to `audit` with the Slack user as actor.
 *
 * Framework-free: the HTTP receiver and Socket Mode call the same function with the same payload.
 */

/** The part of a `block_actions` payload this reads; everything else Slack sends is ignored. */
export const BlockActionsPayload = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1).max(32), username: z.string().max(256).optional(), name: z.string().max(256).optional() }),
  team: z.object({ id: z.string().max(32) }).nullish(),
  channel: z.object({ id: z.string().max(32) }).nullish(),
  trigger_id: z.string().max(128).optional(),
  container: z.object({ channel_id: z.string().max(32).optional(), message_ts: z.string().max(32).optional() }).optional(),
  message: z.object({ ts: z.string().max(32) }).passthrough().optional(),
  actions: z
    .array(z.object({ action_id: z.string().max(255), value: z.string().max(2000).optional(), action_ts: z.string().max(32).optional() }).passthrough())
    .min(1)
    .max(25),
});
export type BlockActionsPayload = z.infer<typeof BlockActionsPayload>;

export type ApprovalDecision = 'approved' | 'rejected';

export interface Actor {
  /** The Slack user id: what the signed payload says, so what status and the audit trail record. */
  userId: string;
  /** Their Slack username, for logs only (it can change). */
  username?: string;
}

/** What `decide` found when it tried the precondition write. */
export type DecideResult =
  | { outcome: 'decided'; record: RecordWithUid }
  | { outcome: 'already-decided'; decidedBy?: string; decision?: string }
  | { outcome: 'stale' }
  | { outcome: 'expired' }
  | { outcome: 'record-gone' };

export interface ClickAudit {
  record: RecordRef;
  actor: string;
  decision: ApprovalDecision;
  accepted: boolean;
  /** Why a refused click was refused. */
  reason?: RefusalReason;
  /** Slack's id of this click (`action_ts`, else the trigger id): an idempotency key for the audit row. */
  clickId?: string;
  at: Date;
}

export interface InteractionDependencies {
  client: WebClient;
  directory: ApproverDirectory;
  /** The record as stored now (an API GET, not a cache: the decision must see the latest state). */
  getRecord(ref: RecordRef): Promise<RecordWithUid | undefined>;
  /** The governing policy's name and approval settings for this record; undefined when none governs it (nobody may approve). */
  approvalPolicy(record: RecordWithUid): Promise<{ name: string; approval: PolicyApproval } | undefined>;
  /**
   * Writes the decision with a resourceVersion precondition on the record read with `expectedDigest`, and
   * re-checks digest and phase on conflict. Throws when the cluster or the audit store cannot be reached.
   */
  decide(ref: RecordRef, decision: ApprovalDecision, actor: Actor, context: { expectedDigest: string; at: Date }): Promise<DecideResult>;
  audit(entry: ClickAudit): Promise<void>;
  now?: () => Date;
  /** Reports what went wrong after the decision (a card that could not be updated, an audit that failed). */
  onError?: (what: string, error: unknown) => void;
  /** The card of an accepted decision could not be replaced: try again later (the notifier's refreshCard). */
  onCardNotUpdated?: (record: RecordWithUid) => void;
}

export type InteractionOutcome = { accepted: true; decision: ApprovalDecision; record: RecordRef } | { accepted: false; reason: RefusalReason; record?: RecordRef };

/** True when this payload is one of ours (the receiver routes only these to the handler). */
export function isApprovalAction(payload: unknown): boolean {
  const parsed = BlockActionsPayload.safeParse(payload);
  return parsed.success && parsed.data.actions.some((action) => action.action_id === APPROVE_ACTION_ID || action.action_id === REJECT_ACTION_ID);
}

export async function handleApprovalClick(rawPayload: unknown, deps: InteractionDependencies): Promise<InteractionOutcome> {
  const now = deps.now ?? (() => new Date());
  const report = deps.onError ?? (() => undefined);
  const parsed = BlockActionsPayload.safeParse(rawPayload);
  if (!parsed.success) return { accepted: false, reason: 'malformed' };
  const payload = parsed.data;
  const action = payload.actions.find((item) => item.action_id === APPROVE_ACTION_ID || item.action_id === REJECT_ACTION_ID);
  const decision: ApprovalDecision = action?.action_id === REJECT_ACTION_ID ? 'rejected' : 'approved';
  const actor: Actor = { userId: payload.user.id, ...(payload.user.username !== undefined && { username: payload.user.username }) };
  const channel = payload.container?.channel_id ?? payload.channel?.id;
  const messageTs = payload.container?.message_ts ?? payload.message?.ts;
  const value = action?.value === undefined ? undefined : decodeButtonValue(action.value);
  const clickId = action?.action_ts ?? payload.trigger_id;
  const clickKey = clickId === undefined ? {} : { clickId };

  const refuse = async (reason: RefusalReason, context: RefusalContext = {}, record?: RecordRef, fixCard?: RecordWithUid & { status: NonNullable<RecordWithUid['status']> }): Promise<InteractionOutcome> => {
    const at = now();
    if (record !== undefined) {
      await deps.audit({ record, actor: actor.userId, decision, accepted: false, reason, ...clickKey, at }).catch((error: unknown) => report('audit of a refused click', error));
    }
    if (channel !== undefined) {
      const message = refusalMessage(refusalSentence(reason, context));
      await deps.client.chat
        .postEphemeral({ channel, user: actor.userId, text: message.text, blocks: message.blocks })
        .catch((error: unknown) => report('ephemeral refusal', error));
      // A card still showing live buttons for a decided record (a crash between the status write and the
      // card update, or a second replica): replace it now, so the next person does not click it either.
      const approval = fixCard?.status.approval;
      if (messageTs !== undefined && approval?.decision !== undefined && approval.decidedBy !== undefined) {
        const card = decidedCard(fixCard!, { decision: approval.decision, by: approval.decidedBy, at: new Date(approval.decidedAt ?? at.toISOString()) });
        await deps.client.chat.update({ channel, ts: messageTs, text: card.text, blocks: card.blocks }).catch((error: unknown) => report('card update', error));
      }
    }
    return { accepted: false, reason, ...(record !== undefined && { record }) };
  };

  if (action === undefined || value === undefined) return refuse('malformed');
  const ref = value.record;
  let record: RecordWithUid | undefined;
  let policy: Awaited<ReturnType<InteractionDependencies['approvalPolicy']>>;
  try {
    record = await deps.getRecord(ref);
    if (record === undefined) return await refuse('record-gone', {}, ref);
    policy = await deps.approvalPolicy(record);
  } catch (error) {
    report('reading the record or its policy', error);
    return refuse('unavailable', {}, ref);
  }
  if (policy === undefined) return refuse('not-an-approver', {}, ref);

  try {
    const verdict = await checkApprover({ userId: actor.userId, approval: policy.approval, commitAuthor: record.spec.commit.author, directory: deps.directory });
    if (!verdict.ok) return await refuse(verdict.reason, { policyName: policy.name, ...(verdict.author !== undefined && { author: verdict.author }) }, ref);
  } catch (error) {
    report('checking the approver with Slack', error);
    return refuse('unavailable', {}, ref);
  }

  const phaseRefusal = refusalForPhase(record);
  if (phaseRefusal !== undefined) return refuse(phaseRefusal.reason, phaseRefusal.context, ref, withStatus(record));
  const current = recordDigest(record);
  if (current === undefined || !digestsEqual(current, value.digest)) return refuse('stale', {}, ref);

  let result: DecideResult;
  try {
    result = await deps.decide(ref, decision, actor, { expectedDigest: value.digest, at: now() });
  } catch (error) {
    report('writing the decision', error);
    return refuse('unavailable', {}, ref);
  }
  if (result.outcome !== 'decided') {
    const context: RefusalContext =
      result.outcome === 'already-decided'
        ? { ...(result.decidedBy !== undefined && { decidedBy: result.decidedBy }), ...(result.decision !== undefined && { decision: result.decision }) }
        : {};
    // Re-read so a card left live by the winner can be replaced with the winner's decision.
    const latest = result.outcome === 'already-decided' ? await deps.getRecord(ref).catch(() => undefined) : undefined;
    return refuse(result.outcome, context, ref, latest === undefined ? undefined : withStatus(latest));
  }

  const at = now();
  await deps.audit({ record: ref, actor: actor.userId, decision, accepted: true, ...clickKey, at }).catch((error: unknown) => report('audit of an accepted click', error));
  if (channel !== undefined && messageTs !== undefined) {
    const card = decidedCard(result.record, { decision, by: actor.userId, at: new Date(result.record.status?.approval?.decidedAt ?? at.toISOString()) });
    await deps.client.chat.update({ channel, ts: messageTs, text: card.text, blocks: card.blocks }).catch((error: unknown) => {
      report(`card update (${errorMessage(error)})`, error);
      deps.onCardNotUpdated?.(result.record);
    });
  }
  return { accepted: true, decision, record: ref };
}

function withStatus(record: RecordWithUid): (RecordWithUid & { status: NonNullable<RecordWithUid['status']> }) | undefined {
  return record.status === undefined ? undefined : (record as RecordWithUid & { status: NonNullable<RecordWithUid['status']> });
}

/** Only AwaitingApproval can be decided; anything later says who or what decided it. */
function refusalForPhase(record: RecordWithUid): { reason: RefusalReason; context: RefusalContext } | undefined {
  const phase = record.status?.phase;
  if (phase === 'AwaitingApproval') return undefined;
  const approval = record.status?.approval;
  if (phase === 'Expired' || approval?.decision === 'expired') return { reason: 'expired', context: {} };
  if (approval?.decidedBy !== undefined) {
    return { reason: 'already-decided', context: { decidedBy: approval.decidedBy, ...(approval.decision !== undefined && { decision: approval.decision }) } };
  }
  // Re-gated to AutoApproved or Blocked, or moved on without a person: this card no longer asks anything.
  return { reason: 'stale', context: {} };
}
