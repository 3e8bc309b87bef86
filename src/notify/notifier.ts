import type { FailurePhase, FailureRecord } from '../api/failure-record.ts';

/**
 * What the operator tells the world after each transition of a FailureRecord: the Slack integration
 * implements it; without one, a no-op. The operator's transition writer calls `notify` once per phase change,
 * after the audit row and the status write have succeeded, so a notification never announces a transition that
 * did not happen. A notifier must not throw into the lifecycle: failures to deliver are its own to retry,
 * record (a condition, a metric) and report.
 */
export interface TransitionNotice {
  /** The record as written by the transition (status included). */
  record: FailureRecord;
  from: FailurePhase;
  to: FailurePhase;
  /** CamelCase reason of the transition, as in the condition and the Event. */
  reason: string;
  message: string;
  /** Who caused it: `operator`, a Slack user id, `system` for an expiry. */
  actor: string;
  at: Date;
}

export interface Notifier {
  notify(notice: TransitionNotice): Promise<void>;
}

export const NOOP_NOTIFIER: Notifier = Object.freeze({ notify: async () => undefined });
