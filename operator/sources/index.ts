import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { OperatorConfig } from '../../src/config/operator-config.ts';
import type { Store } from '../../src/store/index.ts';
import type { Logger } from '../runtime/logger.ts';
import type { KubeClients } from '../runtime/kube.ts';
import { createGitHubWebhookHandler, GITHUB_WEBHOOK_PATH } from './github-webhook.ts';
import { PolicyFilter } from './policy-filter.ts';
import { Poller } from './poller.ts';
import { RecordWriter } from './record-writer.ts';
import { RunReporter } from './run-reporter.ts';

/**
 * The operator's own ways in (docs/sources.md): the GitHub webhook receiver (every replica) and the poller
 * (the leader), both off unless configured. operator/main.ts calls this once and mounts `routes`.
 */

export class SourcesConfigurationError extends Error {
  readonly code = 'SOURCES_NOT_CONFIGURED';
}

export interface GitHubSources {
  routes: Record<string, (request: IncomingMessage, response: ServerResponse) => void>;
  stop(): Promise<void>;
}

export interface StartSourcesOptions {
  config: OperatorConfig;
  clients: KubeClients;
  log: Logger;
  registry: Registry;
  store: () => Promise<Store>;
  /** True while this replica leads (the poller's condition). */
  canPoll: () => boolean;
}

export function startGitHubSources(options: StartSourcesOptions): GitHubSources {
  const { config, log } = options;
  const webhookSecret = config.githubWebhookSecret;
  if (webhookSecret === undefined && !config.poll) return { routes: {}, stop: () => Promise.resolve() };
  // Records go where the action's endpoint mode puts them, so a failure reported both ways is one record.
  const namespace = config.ingestNamespace ?? (config.namespaces.length === 1 ? config.namespaces[0] : undefined);
  if (namespace === undefined) {
    throw new SourcesConfigurationError('The GitHub webhook and the poller need the namespace their records go to: set --ingest-namespace (or watch one namespace).');
  }
  if (config.githubAuth === undefined) throw new SourcesConfigurationError('The GitHub webhook and the poller need GitHub credentials.');
  const filter = new PolicyFilter(options.clients, namespace, config.sourceRepositories);
  const writer = new RecordWriter({ clients: options.clients, store: options.store, log });
  const reporter = new RunReporter({ auth: config.githubAuth, apiUrl: config.githubApiUrl, namespace, writer, log });
  const routes: GitHubSources['routes'] = {};
  if (webhookSecret !== undefined) {
    routes[GITHUB_WEBHOOK_PATH] = createGitHubWebhookHandler({ secret: webhookSecret, reporter, filter, store: options.store, log, registry: options.registry });
  }
  let poller: Poller | undefined;
  if (config.poll) {
    poller = new Poller({
      reporter,
      filter,
      store: options.store,
      log,
      intervalMs: config.pollIntervalMs,
      backfillMs: config.pollBackfillMs,
      repositories: config.pollRepositories,
      useInstallation: !('token' in config.githubAuth),
      canPoll: options.canPoll,
      registry: options.registry,
    });
    poller.start();
  }
  log.info({ webhook: webhookSecret !== undefined, poll: config.poll, namespace, pollIntervalMs: config.pollIntervalMs }, 'github sources started');
  return { routes, stop: async () => poller?.stop() };
}
