import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '@slack/bolt';
import type { Registry } from 'prom-client';
import type { FailureRecord } from '../../src/api/failure-record.ts';
import type { SlackConfig } from '../../src/config/operator-config.ts';
import { errorMessage } from '../../src/errors.ts';
import { ApproverDirectory } from '../../src/slack/approver-check.ts';
import type { PolicyChannels } from '../../src/slack/channel-routing.ts';
import type { InteractionDependencies } from '../../src/slack/interaction-handler.ts';
import { OperatorAlerter } from '../../src/slack/operator-alerts.ts';
import { SlackRequestVerifier } from '../../src/slack/request-verification.ts';
import { createSlackClient } from '../../src/slack/slack-client.ts';
import { SlackNotifier, type SlackDeliveryError, type SlackThreadRef } from '../../src/slack/slack-notifier.ts';
import { createSlackEventsHandler, SLACK_EVENTS_PATH } from '../http/slack-events.ts';
import type { Logger } from '../runtime/logger.ts';
import { createSlackApp } from './slack-app.ts';
import { createSlackMetrics } from './slack-metrics.ts';
import { DedupingSocketModeReceiver } from './socket-mode-receiver.ts';

/**
 * Everything Slack in one place for operator/main.ts: the notifier (the transition writer's Notifier), the
 * `/slack/events` route (HTTP mode) or the Socket Mode connection, the click handler's dependencies, the
 * metrics and the operator-level alerter. main.ts imports this module lazily, only when Slack is configured,
 * so an operator without Slack never loads Bolt.
 *
 * The callbacks are the operator's: how a record is read and decided (a status write with a resourceVersion
 * precondition), where the thread is kept (status), which policy routes a record, and the audit row of a click.
 */

export interface SlackIntegrationOptions {
  config: SlackConfig;
  log: Logger;
  registry: Registry;
  /** This replica's identity, for alerts. */
  instance: string;
  decisions: Omit<InteractionDependencies, 'client' | 'directory' | 'onError'>;
  channelsFor: (record: FailureRecord) => PolicyChannels | undefined;
  saveThread: (record: FailureRecord, thread: SlackThreadRef) => Promise<void>;
  saveCard: (record: FailureRecord, card: { channel: string; ts: string }) => Promise<void>;
  /** A message that could not be delivered: the operator sets a condition on the record. */
  onDeliveryError?: (error: SlackDeliveryError) => void;
  /** Test timings: per-channel spacing (default 1 s) and the web client's retries. */
  channelSpacingMs?: number;
  retries?: number;
}

export interface SlackIntegration {
  notifier: SlackNotifier;
  alerter: OperatorAlerter | undefined;
  /** Routes for startHealthServer (`/slack/events` in HTTP mode; none in Socket Mode). */
  routes: Record<string, (request: IncomingMessage, response: ServerResponse) => void>;
  /** Checks the bot token (auth.test) and, in Socket Mode, opens the connection. Throws naming what Slack refused. */
  start(): Promise<void>;
  /** Drains queued messages and closes the Socket Mode connection. */
  stop(): Promise<void>;
}

export async function createSlackIntegration(options: SlackIntegrationOptions): Promise<SlackIntegration> {
  const { config, log } = options;
  const retryConfig = options.retries === undefined ? {} : { retryConfig: { retries: options.retries, factor: 1, minTimeout: 10, maxTimeout: 100 } };
  const client = createSlackClient({ token: config.botToken, slackApiUrl: config.apiUrl, ...retryConfig });
  const metrics = createSlackMetrics(options.registry);
  const notifier = new SlackNotifier({
    client,
    ...(config.defaultChannel !== undefined && { defaultChannel: config.defaultChannel }),
    channelsFor: options.channelsFor,
    saveThread: options.saveThread,
    saveCard: options.saveCard,
    onDeliveryError: (error) => {
      metrics.recordDeliveryError(error);
      log.warn({ record: `${error.record.namespace}/${error.record.name}`, operation: error.operation, channel: error.channel, code: error.code }, 'slack message not delivered');
      options.onDeliveryError?.(error);
    },
    ...(options.channelSpacingMs !== undefined && { channelSpacingMs: options.channelSpacingMs }),
  });
  const alerter =
    config.defaultChannel === undefined
      ? undefined
      : new OperatorAlerter({ client, channel: config.defaultChannel, instance: options.instance, onError: (condition, error) => log.warn({ condition, err: errorMessage(error) }, 'slack alert not delivered') });

  let receiver: DedupingSocketModeReceiver | undefined;
  let app: App | undefined;
  // The route exists from the start (main.ts hands routes to the HTTP server before Slack is started) and
  // answers 503 until the App is ready; Slack shows the clicker an error and nothing is decided.
  const handler = config.mode === 'http' ? createSlackEventsHandler({ verifier: new SlackRequestVerifier(config.signingSecret!), log, registry: options.registry }) : undefined;
  const routes: SlackIntegration['routes'] =
    handler === undefined
      ? {}
      : {
          [SLACK_EVENTS_PATH]: (request, response) => {
            if (app === undefined) {
              request.resume();
              response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' }).end('{"error":"starting"}\n');
              return;
            }
            handler(request, response);
          },
        };
  const decisions = { onCardNotUpdated: (record: FailureRecord) => notifier.refreshCard(record), ...options.decisions, onError: (what: string, error: unknown) => log.warn({ what, err: errorMessage(error) }, 'slack click: a step failed') };
  const appOptions = {
    botToken: config.botToken,
    slackApiUrl: config.apiUrl,
    client,
    log,
    decisions,
    directory: new ApproverDirectory(client),
    onOutcome: metrics.recordClick,
  };

  return {
    notifier,
    alerter,
    routes,
    async start() {
      if (handler === undefined) {
        receiver = new DedupingSocketModeReceiver({ appToken: config.appToken!, slackApiUrl: config.apiUrl, log });
        const started = await createSlackApp({ ...appOptions, receiver });
        await started.start();
        app = started;
      } else {
        app = await createSlackApp({ ...appOptions, receiver: handler.receiver });
      }
      log.info({ mode: config.mode, apiUrl: config.apiUrl, defaultChannel: config.defaultChannel }, 'slack ready');
    },
    async stop() {
      await notifier.stop();
      if (receiver !== undefined) await receiver.stop().catch(() => undefined);
    },
  };
}
