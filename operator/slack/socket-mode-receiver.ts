import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import { errorMessage } from '../../src/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import { boltLogger } from './bolt-logger.ts';

/**
 * Socket Mode, for clusters with no inbound URL: the operator opens a WebSocket to Slack (apps.connections.open
 * with the app-level token) and clicks arrive on it as envelopes. The same Bolt App and listeners as over
 * HTTP; no signature to check (the connection itself is authenticated by the app token).
 *
 * Slack redelivers an envelope it did not see acknowledged, and during a reconnect two connections can
 * briefly both receive one, so envelopes are processed once per `envelope_id` (a duplicate is acknowledged
 * and dropped). The ids are kept for longer than Slack retries (minutes), bounded.
 *
 * Bolt's own SocketModeReceiver does not expose the envelope id to the App, which is why this one exists.
 */

const SEEN_TTL_MS = 10 * 60 * 1000;
const SEEN_MAX = 10_000;

export interface SocketModeReceiverOptions {
  appToken: string;
  slackApiUrl: string;
  log: Logger;
  now?: () => number;
  /** Reconnect after a drop (default true; tests turn it off to stop cleanly). */
  autoReconnect?: boolean;
}

export class DedupingSocketModeReceiver implements Receiver {
  readonly client: SocketModeClient;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #seen = new Map<string, number>();
  #app: App | undefined;
  duplicates = 0;

  constructor(options: SocketModeReceiverOptions) {
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.client = new SocketModeClient({
      appToken: options.appToken,
      logger: boltLogger(options.log),
      clientOptions: { slackApiUrl: options.slackApiUrl },
      autoReconnectEnabled: options.autoReconnect ?? true,
    });
    this.client.on('slack_event', async (args: { ack: (response?: unknown) => Promise<void>; envelope_id: string; body: unknown; retry_num?: number; retry_reason?: string }) => {
      if (this.#alreadySeen(args.envelope_id)) {
        this.duplicates += 1;
        await args.ack().catch(() => undefined);
        return;
      }
      const event: ReceiverEvent = {
        body: args.body as Record<string, unknown>,
        ack: async (response) => {
          await args.ack(response);
        },
        ...(args.retry_num !== undefined && { retryNum: args.retry_num }),
        ...(args.retry_reason !== undefined && { retryReason: args.retry_reason }),
      };
      try {
        await this.#app?.processEvent(event);
      } catch (error) {
        this.#log.error({ err: errorMessage(error), envelope: args.envelope_id }, 'socket mode event failed');
      }
    });
  }

  init(app: App): void {
    this.#app = app;
  }

  async start(): Promise<unknown> {
    return this.client.start();
  }

  async stop(): Promise<unknown> {
    return this.client.disconnect();
  }

  #alreadySeen(envelopeId: string): boolean {
    const now = this.#now();
    const until = this.#seen.get(envelopeId);
    if (until !== undefined && until > now) return true;
    for (const [id, expiry] of this.#seen) {
      if (expiry > now && this.#seen.size < SEEN_MAX) break;
      this.#seen.delete(id);
    }
    this.#seen.set(envelopeId, now + SEEN_TTL_MS);
    return false;
  }
}
