import type { OperatorConfig } from '../src/config/operator-config.ts';
import { NOOP_NOTIFIER, type Notifier } from '../src/notify/notifier.ts';
import { errorMessage } from '../src/errors.ts';
import { loadStoreConfig, openStore, StoreUnavailableError, type Store } from '../src/store/index.ts';
import { createIngestHandler } from './http/ingest.ts';
import { startHealthServer, type HealthServer } from './http/server.ts';
import { INGEST_PATH } from '../src/ingest/ingest-request.ts';
import { Runtime } from './manager.ts';
import { githubWebUrlOf } from '../src/ingest/spec-origin.ts';
import { startGitHubSources, type GitHubSources } from './sources/index.ts';
import { EventRecorder } from './runtime/events.ts';
import { loadKubeConfig, makeClients, type KubeClients } from './runtime/kube.ts';
import { LeaderElector } from './runtime/leader-election.ts';
import { createLogger, type Logger } from './runtime/logger.ts';
import { createMetrics, type OperatorMetrics } from './runtime/metrics.ts';
import { testHooks, type TestHooks } from './test-hooks.ts';
import type { ModelConfig } from '../src/analysis/model/model-config.ts';
import type { ModelDeps } from './controllers/failurerecord.ts';
// Types only: the Slack modules themselves are imported when Slack is configured (#startSlack).
import type { SlackIntegration } from './slack/slack-integration.ts';
import type { OperatorBridge } from './slack/operator-bridge.ts';

/** The database unreachable this long raises the DatabaseUnreachable alert (Slack, at most once an hour). */
const DATABASE_ALERT_AFTER_MS = 60_000;
const DATABASE_PROBE_MS = 15_000;

/**
 * The operator process: configuration in, a running operator out (the controllers it runs while it leads
 * are manager.ts). Order matters in three places:
 *  - the policy caches sync before any record is reconciled, so a record is never gated as "no matching
 *    policy" only because the policies had not arrived yet;
 *  - only the leader starts informers and controllers (a standby watches nothing and writes nothing), and
 *    every write checks leadership again, so a replica that lost its lease stops writing at once;
 *  - shutdown stops taking work, lets in-flight reconciles finish (bounded), then releases the Lease so a
 *    successor takes over without waiting for it to expire.
 */

export const COMPONENT = 'ci-remediator-operator';
/** Slack's answers for a token it no longer accepts. */
const REFUSED_TOKEN_CODES: ReadonlySet<string> = new Set(['invalid_auth', 'token_revoked', 'account_inactive', 'not_authed', 'token_expired']);
/** Whole shutdown budget stays under the 10 s Kubernetes gives by default before SIGKILL... and the contract. */
const DRAIN_TIMEOUT_MS = 6_000;

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  /** Handle SIGTERM/SIGINT (the CLI); tests may drive `stop` instead. */
  handleSignals?: boolean;
  logDestination?: NodeJS.WritableStream;
  /** Told of every transition after its audit row and status exist (the Slack integration); a no-op by default. */
  notifier?: Notifier;
  /** The model analyzer's settings (operator/cli.ts parsed them); with an API key, `provider: openai` policies use it. */
  model?: Readonly<ModelConfig>;
}

export async function runOperator(config: OperatorConfig, options: RunOptions): Promise<number> {
  const log = createLogger(config.logLevel, options.logDestination);
  const operator = new Operator(config, options, log);
  return operator.run();
}

class Operator {
  readonly #config: OperatorConfig;
  readonly #options: RunOptions;
  readonly #log: Logger;
  readonly #metrics: OperatorMetrics;
  #clients: KubeClients | undefined;
  #http: HealthServer | undefined;
  #metricsHttp: HealthServer | undefined;
  #elector: LeaderElector | undefined;
  #runtime: Runtime | undefined;
  #events: EventRecorder | undefined;
  #store: Store | undefined;
  #sources: GitHubSources | undefined;
  #opening: Promise<Store> | undefined;
  #stopping = false;
  #model: ModelDeps | undefined;
  #slack: SlackIntegration | undefined;
  #bridge: OperatorBridge | undefined;
  #notifier: Notifier | undefined;
  #databaseDownSince: number | undefined;
  #githubRefused = false;
  #databaseProbe: NodeJS.Timeout | undefined;
  #done!: (code: number) => void;
  readonly #hooks: TestHooks;

  constructor(config: OperatorConfig, options: RunOptions, log: Logger) {
    this.#config = config;
    this.#options = options;
    this.#log = log;
    this.#metrics = createMetrics();
    this.#hooks = testHooks(options.env);
  }

  async run(): Promise<number> {
    const finished = new Promise<number>((resolve) => {
      this.#done = resolve;
    });
    const config = this.#config;
    try {
      this.#clients = makeClients(loadKubeConfig(config.kubeconfig, this.#options.env));
    } catch (error) {
      this.#log.fatal({ err: errorMessage(error) }, 'cannot start');
      return 1;
    }
    if (this.#options.handleSignals !== false) {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          this.#log.info({ signal }, 'shutting down');
          void this.shutdown(0);
        });
      }
    }

    this.#metrics.setLeader(() => this.#canWrite());
    this.#metrics.setQueueDepth(() => this.#runtime?.depths() ?? {});
    this.#metrics.setRecordPhases(() => this.#runtime?.phases() ?? {});
    // Asked at scrape time, bounded so a hung database cannot hang /metrics.
    this.#metrics.setStoreUp(() =>
      Promise.race([
        this.#getStore().then((store) => store.ping()).then(() => true, () => false),
        new Promise<boolean>((resolve) => setTimeout(resolve, 2_000, false).unref()),
      ]),
    );
    this.#events = new EventRecorder({
      clients: this.#clients,
      component: COMPONENT,
      instance: config.identity,
      log: this.#log,
      canWrite: () => this.#canWrite(),
    });
    // Slack before the HTTP server: its /slack/events route is one of the server's (answering 503 until started).
    if (config.slack !== undefined) {
      try {
        await this.#createSlack();
      } catch (error) {
        this.#log.fatal({ err: errorMessage(error) }, 'cannot start slack');
        return 1;
      }
    }
    try {
      this.#sources = startGitHubSources({ config, clients: this.#clients, log: this.#log, registry: this.#metrics.registry, store: () => this.#getStore(), canPoll: () => this.#canWrite() && !this.#stopping });
      const routes = { ...this.#slack?.routes, ...this.#sources.routes };
      if (config.ingestSecret !== undefined) {
        routes[INGEST_PATH] = createIngestHandler({
          secret: config.ingestSecret,
          clients: this.#clients,
          namespaces: config.namespaces,
          defaultNamespace: config.ingestNamespace ?? (config.namespaces.length === 1 ? config.namespaces[0] : undefined),
          log: this.#log,
          registry: this.#metrics.registry,
          maxBodies: config.ingestMaxBodies,
          bodyTimeoutMs: config.ingestBodyTimeoutMs,
          githubWebUrl: githubWebUrlOf(config.githubApiUrl),
        });
      }
      this.#http = await startHealthServer({
        address: config.httpAddress,
        port: config.httpPort,
        registry: this.#metrics.registry,
        ready: () => this.#ready(),
        metrics: false,
        limits: {
          maxConnections: config.ingestMaxConnections,
          headersTimeoutMs: config.ingestHeaderTimeoutMs,
          requestTimeoutMs: config.ingestHeaderTimeoutMs + config.ingestBodyTimeoutMs,
        },
        // Served by every replica, leader or not: creating a record needs no lease, and a Slack decision is a
        // status write with a precondition (operator/slack/operator-bridge.ts).
        ...(Object.keys(routes).length > 0 && { routes }),
      });
      this.#metricsHttp = await startHealthServer({ address: config.metricsAddress, port: config.metricsPort, registry: this.#metrics.registry, ready: () => this.#ready() });
    } catch (error) {
      this.#log.fatal({ err: errorMessage(error), address: config.httpAddress, port: config.httpPort, metricsPort: config.metricsPort }, 'cannot listen');
      await this.#http?.close();
      await this.#metricsHttp?.close();
      return 1;
    }
    this.#log.info({ address: this.#http.address, port: this.#http.port, ingest: config.ingestSecret !== undefined, slack: config.slack?.mode ?? false }, 'http server listening');
    this.#log.info({ address: this.#metricsHttp.address, port: this.#metricsHttp.port }, 'metrics server listening');
    if (this.#slack !== undefined) {
      try {
        // auth.test (and in Socket Mode the connection): a refused token is fatal, named in the log.
        await this.#slack.start();
      } catch (error) {
        this.#log.fatal({ err: errorMessage(error) }, 'slack refused the operator\'s credentials');
        await this.#http.close();
        return 1;
      }
      this.#databaseProbe = setInterval(() => void this.#probeDatabase(), DATABASE_PROBE_MS);
      this.#databaseProbe.unref();
    }
    // Open the store now so a wrong URL shows up at start; a database that is merely down is retried per
    // reconcile (records wait with Ready=False/AuditUnavailable), not fatal.
    this.#getStore().catch((error: unknown) => this.#log.warn({ err: errorMessage(error) }, 'store not available yet; records will wait'));

    this.#model = await this.#buildModel();

    if (config.leaderElect) {
      this.#elector = new LeaderElector({
        api: this.#clients.coordination,
        namespace: config.leaderElectionNamespace,
        name: config.leaderElectionId,
        identity: config.identity,
        leaseDurationMs: config.leaseDurationMs,
        renewDeadlineMs: config.renewDeadlineMs,
        retryPeriodMs: config.retryPeriodMs,
        log: this.#log,
        onStartedLeading: () => this.#startRuntime(),
        onStoppedLeading: () => this.#stopRuntime(0),
      });
      this.#elector.run().catch((error: unknown) => {
        this.#log.fatal({ err: errorMessage(error) }, 'leader election failed');
        void this.shutdown(1);
      });
    } else {
      this.#startRuntime();
    }
    return finished;
  }

  #canWrite(): boolean {
    if (this.#elector === undefined) return this.#runtime !== undefined;
    return this.#elector.isLeader();
  }

  #ready(): boolean {
    if (this.#stopping) return false;
    if (this.#elector !== undefined && !this.#elector.isLeader()) return this.#elector.running;
    return this.#runtime?.synced() ?? false;
  }

  /**
   * The model analyzer, built once (its verdict cache lives across leaderships): usage and budgets in the
   * store, its tools reading GitHub with the operator's credentials. Undefined without an API key.
   */
  async #buildModel(): Promise<ModelDeps | undefined> {
    const settings = this.#options.model;
    if (settings?.apiKey === undefined) return undefined;
    const [{ createModelAnalyzer }, { estimateCostUsd }, { githubToolSources }, { createGitHubClient }] = await Promise.all([
      import('../src/analysis/model/model-config.ts'),
      import('../src/analysis/model/token-budget.ts'),
      import('../src/analysis/model/github-sources.ts'),
      import('../src/github/client.ts'),
    ]);
    const { githubAuth, githubApiUrl } = this.#config;
    const github =
      githubAuth === undefined
        ? undefined
        : createGitHubClient({ baseUrl: githubApiUrl, auth: githubAuth, userAgent: 'ci-remediator-operator', log: { warn: (message) => this.#log.warn({}, message), debug: (message) => this.#log.debug({}, message) } });
    const analyzer = createModelAnalyzer(settings, {
      // The store opens lazily; a store that is down makes the model fall back to the rules (with the reason).
      usage: {
        recordModelUsage: async (entry) => (await this.#getStore()).recordModelUsage(entry),
        modelUsageTotals: async (filters) => (await this.#getStore()).modelUsageTotals(filters),
      },
      ...(github !== undefined && {
        sources: (_jobs, context) => {
          const spec = context.record?.spec;
          const target = spec?.pullRequest !== undefined ? { pullNumber: spec.pullRequest.number } : spec !== undefined ? { sha: spec.commit.sha } : undefined;
          return githubToolSources(github, target === undefined || context.repository === undefined ? undefined : { repository: context.repository, target });
        },
      }),
    });
    if (analyzer === undefined) return undefined;
    this.#log.info({ model: settings.model, baseURL: settings.baseURL ?? 'https://api.openai.com/v1', tools: github === undefined ? 'history only (no GitHub credentials)' : 'github' }, 'model analysis configured');
    return { analyzer, costUsd: (model, tokens) => estimateCostUsd(model, tokens) };
  }

  #getStore(): Promise<Store> {
    if (this.#store !== undefined) return Promise.resolve(this.#store);
    this.#opening ??= (async () => {
      const env = { ...this.#options.env };
      delete env.CI_REMEDIATOR_DATABASE_URL;
      if (this.#config.databaseUrl !== undefined) env.CI_REMEDIATOR_DATABASE_URL = this.#config.databaseUrl;
      if (this.#config.dataDir !== undefined) env.CI_REMEDIATOR_DATA_DIR = this.#config.dataDir;
      const storeConfig = loadStoreConfig(env, {
        applicationName: COMPONENT,
        poolMax: Math.max(10, this.#config.maxConcurrentReconciles + 4),
        connectTimeoutMs: 5_000,
      });
      try {
        this.#store = await openStore(storeConfig);
        this.#log.info({ store: this.#store.location, engine: this.#store.engine }, 'store open');
        return this.#store;
      } finally {
        this.#opening = undefined;
      }
    })();
    return this.#opening.catch((error: unknown) => {
      throw error instanceof StoreUnavailableError ? error : new StoreUnavailableError(errorMessage(error), { cause: error });
    });
  }

  #startRuntime(): void {
    if (this.#stopping || this.#runtime !== undefined) return;
    this.#runtime = new Runtime({
      config: this.#config,
      clients: this.#clients!,
      log: this.#log,
      metrics: this.#metrics,
      events: this.#events!,
      store: () => this.#getStore(),
      canWrite: () => this.#canWrite() && !this.#stopping,
      notifier: this.#options.notifier ?? this.#hooks.notifier ?? this.#notifier ?? NOOP_NOTIFIER,
      slackConfigured: this.#slack !== undefined,
      ...(this.#slack?.alerter !== undefined && { onGitHubCredentials: (refused: boolean, detail: string) => this.#onGitHubCredentials(refused, detail) }),
      ...(this.#hooks.analyze !== undefined && { analyze: this.#hooks.analyze }),
      ...(this.#model !== undefined && { model: this.#model }),
    });
    if (this.#bridge !== undefined) {
      const runtime = this.#runtime;
      this.#bridge.policyFromCache = (namespace, name) => runtime.policy(namespace, name);
    }
    this.#runtime.start().catch((error: unknown) => this.#log.error({ err: errorMessage(error) }, 'controllers failed to start'));
  }

  async #stopRuntime(drainMs: number): Promise<void> {
    const runtime = this.#runtime;
    this.#runtime = undefined;
    if (this.#bridge !== undefined) this.#bridge.policyFromCache = () => undefined;
    await runtime?.stop(drainMs);
  }

  /**
   * The Slack integration, imported only now: Bolt and the web client are megabytes an operator without Slack
   * never loads. The decision callbacks are served by every replica (see operator-bridge.ts).
   */
  async #createSlack(): Promise<void> {
    const slackConfig = this.#config.slack!;
    const [{ createSlackIntegration }, { OperatorBridge, CardRecoveringNotifier }] = await Promise.all([import('./slack/slack-integration.ts'), import('./slack/operator-bridge.ts')]);
    const bridge = new OperatorBridge({
      clients: this.#clients!,
      store: () => this.#getStore(),
      events: this.#events!,
      metrics: this.#metrics,
      log: this.#log,
      notifier: () => this.#slack?.notifier ?? NOOP_NOTIFIER,
      ...(this.#hooks.checkpoint !== undefined && { checkpoint: this.#hooks.checkpoint }),
    });
    this.#bridge = bridge;
    this.#slack = await createSlackIntegration({
      config: slackConfig,
      log: this.#log,
      registry: this.#metrics.registry,
      instance: this.#config.identity,
      decisions: bridge.decisions,
      channelsFor: bridge.channelsFor,
      saveThread: bridge.saveThread,
      saveCard: bridge.saveCard,
      onDeliveryError: (error) => {
        bridge.onDeliveryError(error);
        if (REFUSED_TOKEN_CODES.has(error.code)) void this.#slack?.alerter?.alert('SlackCredentialsRefused', `Slack answered ${error.code} to ${error.operation}`);
      },
    });
    this.#notifier = new CardRecoveringNotifier(this.#slack.notifier, bridge);
  }

  /** GitHub refused the token (alert, at most once an hour) or accepted it again (the next refusal alerts at once). */
  #onGitHubCredentials(refused: boolean, detail: string): void {
    if (refused) {
      this.#githubRefused = true;
      void this.#slack?.alerter?.alert('GitHubCredentialsRefused', `${detail}: remediations wait until the operator's GitHub credentials are fixed`);
    } else if (this.#githubRefused) {
      this.#githubRefused = false;
      this.#slack?.alerter?.resolve('GitHubCredentialsRefused');
    }
  }

  /** Alerts (once an hour at most) when the audit store has not answered for a minute; resolves when it does. */
  async #probeDatabase(): Promise<void> {
    if (!this.#canWrite() || this.#stopping) return;
    try {
      const store = await this.#getStore();
      await store.queryAudit({}, { limit: 1 });
      if (this.#databaseDownSince !== undefined) this.#slack?.alerter?.resolve('DatabaseUnreachable');
      this.#databaseDownSince = undefined;
    } catch (error) {
      const now = Date.now();
      this.#databaseDownSince ??= now;
      if (now - this.#databaseDownSince >= DATABASE_ALERT_AFTER_MS) {
        const seconds = Math.round((now - this.#databaseDownSince) / 1000);
        void this.#slack?.alerter?.alert('DatabaseUnreachable', `the audit database has not answered for ${seconds} s: ${errorMessage(error)}; records wait with Ready=False/AuditUnavailable`);
      }
    }
  }

  async shutdown(code: number): Promise<void> {
    if (this.#stopping) return;
    // Past this point a second signal is ignored: the drain is bounded, and the process exits by itself.
    this.#stopping = true;
    const hardStop = setTimeout(() => {
      this.#log.error({}, 'shutdown took too long; exiting');
      this.#done(code);
    }, 9_000);
    hardStop.unref();
    try {
      // In-flight reconciles may still write (the lease is still ours); new work is refused.
      const runtime = this.#runtime;
      this.#runtime = undefined;
      if (runtime !== undefined) await runtime.stop(DRAIN_TIMEOUT_MS, () => this.#canWriteDraining());
      await this.#sources?.stop();
      await this.#events?.flush(1_000);
      clearInterval(this.#databaseProbe);
      // Queued Slack messages go out (bounded by the hard stop) before the lease is released.
      await this.#slack?.stop();
      await this.#elector?.stop(true);
      await this.#http?.close();
      await this.#store?.close();
    } catch (error) {
      this.#log.error({ err: errorMessage(error) }, 'error during shutdown');
    } finally {
      clearTimeout(hardStop);
      this.#log.info({ code }, 'stopped');
      this.#done(code);
    }
  }

  #canWriteDraining(): boolean {
    return this.#elector === undefined || this.#elector.isLeader();
  }
}

