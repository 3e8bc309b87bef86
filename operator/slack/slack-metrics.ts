import { Counter, Histogram, type Registry } from 'prom-client';
import type { InteractionOutcome } from '../../src/slack/interaction-handler.ts';
import type { SlackDeliveryError } from '../../src/slack/slack-notifier.ts';

/**
 * The Slack integration's metrics, registered on the operator's registry. Requests to /slack/events are
 * counted by the receiver itself (`ci_remediator_slack_requests_total`); these count what happened next.
 */
export interface SlackMetrics {
  /** Clicks that reached the handler, by decision outcome: `accepted`, or the refusal reason. */
  clicks: Counter<'outcome'>;
  /** Time from the listener's start to Slack's ack being sent. */
  ackSeconds: Histogram;
  /** Messages given up on after the web client's retries, by operation and Slack error code. */
  deliveryFailures: Counter<'operation' | 'code'>;
  recordClick(outcome: InteractionOutcome, ackMs: number): void;
  recordDeliveryError(error: SlackDeliveryError): void;
}

export function createSlackMetrics(registry: Registry): SlackMetrics {
  const clicks = new Counter({
    name: 'ci_remediator_slack_clicks_total',
    help: 'Approve/Reject clicks handled, by outcome (accepted, or why refused).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const ackSeconds = new Histogram({
    name: 'ci_remediator_slack_ack_seconds',
    help: 'Time to acknowledge a Slack interaction (Slack wants it within 3 s).',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 3],
    registers: [registry],
  });
  const deliveryFailures = new Counter({
    name: 'ci_remediator_slack_delivery_failures_total',
    help: 'Slack messages that could not be delivered after retries, by operation and Slack error code.',
    labelNames: ['operation', 'code'] as const,
    registers: [registry],
  });
  return {
    clicks,
    ackSeconds,
    deliveryFailures,
    recordClick: (outcome, ackMs) => {
      clicks.inc({ outcome: outcome.accepted ? 'accepted' : outcome.reason });
      ackSeconds.observe(ackMs / 1000);
    },
    recordDeliveryError: (error) => deliveryFailures.inc({ operation: error.operation, code: error.code }),
  };
}
