/**
 * Why a click on Approve or Reject was refused. The code is what the audit row and the metric carry; the
 * sentence is what the person who clicked reads (ephemerally, only they see it), so it says what happened
 * and, where there is one, what to do instead.
 */
export const REFUSAL_REASONS = [
  'not-an-approver',
  'author-cannot-approve',
  'stale',
  'already-decided',
  'expired',
  'record-gone',
  'malformed',
  'unavailable',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface RefusalContext {
  /** Who decided before, for `already-decided` (a Slack user id, or `system`). */
  decidedBy?: string;
  decision?: string;
  /** The policy that governs the record, so the person knows whom to ask. */
  policyName?: string;
  author?: string;
}

/** A user id as a mention (Slack renders the name); anything else verbatim. */
function who(actor: string | undefined): string {
  if (actor === undefined) return 'someone';
  return /^[UW][A-Z0-9]{2,20}$/.test(actor) ? `<@${actor}>` : actor;
}

export function refusalSentence(reason: RefusalReason, context: RefusalContext = {}): string {
  const policy = context.policyName === undefined ? 'the policy' : `policy ${context.policyName}`;
  switch (reason) {
    case 'not-an-approver':
      return `You are not an approver for this record: ${policy} lists who may approve (approval.approvers). Ask one of them, or ask for your user or group to be added.`;
    case 'author-cannot-approve':
      return `You pushed the change that failed${context.author === undefined ? '' : ` (${context.author})`}, and ${policy} requires a different person to approve its fix (requireDistinctApprover).`;
    case 'stale':
      return 'This request is out of date: the record was re-analyzed, re-gated under a changed policy, or the run has a newer attempt. Use the newest card in the thread.';
    case 'already-decided':
      return `This request was already ${context.decision ?? 'decided'} by ${who(context.decidedBy)}.`;
    case 'expired':
      return 'This request has expired; nothing will run. A new failure of the run will ask again.';
    case 'record-gone':
      return 'This record no longer exists (it was deleted or cleaned up), so there is nothing to decide.';
    case 'malformed':
      return 'This button does not belong to a ci-remediator approval request.';
    case 'unavailable':
      return 'The decision could not be recorded right now (the cluster or the audit store did not answer). Nothing changed; please try again in a minute.';
  }
}
