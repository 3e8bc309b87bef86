import type { WebClient } from '@slack/web-api';
import { escapeMrkdwn } from './messages.ts';

/**
 * Operator-level critical alerts (the database unreachable for more than a minute, GitHub or Slack
 * credentials refused) to an alerts channel, at most one per condition per hour: an outage that lasts a day
 * is 24 messages, not one per reconcile. `resolve` lets the next occurrence alert at once again.
 */

export const ALERT_CONDITIONS = ['DatabaseUnreachable', 'GitHubCredentialsRefused', 'SlackCredentialsRefused'] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];

export const ALERT_INTERVAL_MS = 60 * 60 * 1000;

export interface OperatorAlerterOptions {
  client: WebClient;
  channel: string;
  /** Who is alerting (the replica's identity), so two operators in one channel can be told apart. */
  instance: string;
  intervalMs?: number;
  now?: () => number;
  onError?: (condition: AlertCondition, error: unknown) => void;
}

export class OperatorAlerter {
  readonly #options: OperatorAlerterOptions;
  readonly #lastSent = new Map<AlertCondition, number>();

  constructor(options: OperatorAlerterOptions) {
    this.#options = options;
  }

  /** Posts unless this condition was alerted within the interval; true when it posted. Never throws. */
  async alert(condition: AlertCondition, message: string): Promise<boolean> {
    const now = (this.#options.now ?? Date.now)();
    const last = this.#lastSent.get(condition);
    if (last !== undefined && now - last < (this.#options.intervalMs ?? ALERT_INTERVAL_MS)) return false;
    this.#lastSent.set(condition, now);
    const text = `:rotating_light: ${condition}: ${message}`;
    try {
      await this.#options.client.chat.postMessage({
        channel: this.#options.channel,
        text,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: `:rotating_light: *${condition}*\n${escapeMrkdwn(message).slice(0, 2800)}` } },
          { type: 'context', elements: [{ type: 'mrkdwn', text: `ci-remediator operator ${escapeMrkdwn(this.#options.instance)}` }] },
        ],
      });
      return true;
    } catch (error) {
      // Not sent: let the next occurrence try again rather than waiting out the hour.
      this.#lastSent.delete(condition);
      this.#options.onError?.(condition, error);
      return false;
    }
  }

  /** The condition cleared: its next occurrence alerts immediately. */
  resolve(condition: AlertCondition): void {
    this.#lastSent.delete(condition);
  }
}
