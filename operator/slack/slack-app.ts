import { App, type Receiver } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { errorMessage } from '../../src/errors.ts';
import { ApproverDirectory } from '../../src/slack/approver-check.ts';
import { handleApprovalClick, type InteractionDependencies, type InteractionOutcome } from '../../src/slack/interaction-handler.ts';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../../src/slack/messages.ts';
import type { Logger } from '../runtime/logger.ts';
import { boltLogger } from './bolt-logger.ts';

/**
 * The Bolt App that receives clicks, whichever receiver brings them (HTTP or Socket Mode). Its listeners
 * ack first and then run the framework-free click handler; the outcome goes to `onOutcome` (metrics, tests).
 */

export interface SlackInteractionsOptions {
  receiver: Receiver;
  botToken: string;
  slackApiUrl: string;
  /** The web client the handler answers with (the notifier's, so pacing and retries are shared). */
  client: WebClient;
  log: Logger;
  decisions: Omit<InteractionDependencies, 'client' | 'directory'>;
  directory?: ApproverDirectory;
  onOutcome?: (outcome: InteractionOutcome, ackMs: number) => void;
}

export async function createSlackApp(options: SlackInteractionsOptions): Promise<App> {
  const app = new App({
    token: options.botToken,
    receiver: options.receiver,
    logger: boltLogger(options.log),
    clientOptions: { slackApiUrl: options.slackApiUrl },
    // init() below calls auth.test once: a refused bot token fails at start, naming it.
    deferInitialization: true,
  });
  await app.init();
  const directory = options.directory ?? new ApproverDirectory(options.client);
  const deps: InteractionDependencies = { ...options.decisions, client: options.client, directory };
  for (const actionId of [APPROVE_ACTION_ID, REJECT_ACTION_ID]) {
    app.action(actionId, async ({ ack, body }) => {
      const started = performance.now();
      await ack();
      const ackMs = performance.now() - started;
      try {
        const outcome = await handleApprovalClick(body, deps);
        options.log.info({ outcome, user: body.user.id }, outcome.accepted ? 'slack decision accepted' : 'slack click refused');
        options.onOutcome?.(outcome, ackMs);
      } catch (error) {
        options.log.error({ err: errorMessage(error) }, 'slack click failed');
      }
    });
  }
  app.error(async (error) => {
    options.log.error({ err: errorMessage(error) }, 'slack app error');
  });
  return app;
}
