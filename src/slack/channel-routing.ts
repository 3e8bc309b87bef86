import type { RemediationPolicySpec } from '../api/remediation-policy.ts';

/**
 * Which channel each kind of message goes to. The policy that governs the record decides, field by field;
 * what it leaves unset falls back to the operator's `--slack-default-channel`. A kind with no channel at all
 * is not posted (the notifier reports that once, as a delivery error, rather than guessing a channel).
 */
export type PolicyChannels = Pick<RemediationPolicySpec, 'notifications'> & { approval: Pick<RemediationPolicySpec['approval'], 'channel' | 'escalationChannel'> };

export interface ChannelRoutes {
  /** The thread's parent (the failure and its gate decision) and, as replies, every later step. */
  thread?: string;
  /** The approval card; in the thread when it is the thread's channel, else a top-level message there. */
  approval?: string;
  /** Approval outcomes, when they should also be seen outside the thread. */
  approvals?: string;
  /** Execution and verification results, when they should also be seen outside the thread. */
  results?: string;
  /** Expired requests; none means no escalation beyond the thread. */
  escalation?: string;
}

export function routeChannels(policy: PolicyChannels | undefined, defaultChannel: string | undefined): ChannelRoutes {
  const notifications: Partial<PolicyChannels['notifications']> = policy?.notifications ?? {};
  const approval = policy?.approval;
  const thread = notifications.failures ?? defaultChannel;
  const approvalChannel = approval?.channel ?? defaultChannel;
  const routes: ChannelRoutes = {};
  if (thread !== undefined) routes.thread = thread;
  if (approvalChannel !== undefined) routes.approval = approvalChannel;
  const approvals = notifications.approvals ?? approval?.channel;
  if (approvals !== undefined) routes.approvals = approvals;
  if (notifications.results !== undefined) routes.results = notifications.results;
  if (approval?.escalationChannel !== undefined) routes.escalation = approval.escalationChannel;
  return routes;
}
