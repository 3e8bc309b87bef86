import type { KubernetesObject } from '@kubernetes/client-node';
import type { FailureRecordStatus } from '../src/api/failure-record.ts';
import { INITIAL_PHASE, REGATEABLE_PHASES } from '../src/api/lifecycle.ts';
import type { OperatorConfig } from '../src/config/operator-config.ts';
import { errorMessage } from '../src/errors.ts';
import { loadStoreConfig, openStore, StoreUnavailableError, type Store } from '../src/store/index.ts';
import { FailureRecordReconciler, PLURAL as RECORD_PLURAL, slimRecordForCache, type RecordObject } from './controllers/failurerecord.ts';
import { createExecutor, ExecutionReconciler, executionControllerReconcile, recordControllerReconcile } from './controllers/execution.ts';
import { PolicyIndex } from './controllers/policy-index.ts';
import { POLICY_PLURAL, RemediationPolicyReconciler } from './controllers/remediationpolicy.ts';
import { createMetrics, type OperatorMetrics } from './http/metrics.ts';
import { createIngestHandler } from './http/ingest.ts';
import { startHealthServer, type HealthServer } from './http/server.ts';
import { INGEST_PATH } from '../src/ingest/ingest-request.ts';
import type { BackoffOptions } from './runtime/backoff.ts';
import { startGitHubSources, type GitHubSources } from './sources/index.ts';
import { Controller } from './runtime/controller.ts';
import { EventRecorder } from './runtime/events.ts';
import { listWatchFactory, ResilientInformer, type WatchEvent } from './runtime/informer.ts';
import { listCustomObjects, loadKubeConfig, makeClients, watchPath, withoutManagedFields, type KubeClients } from './runtime/kube.ts';
import { StringInterner } from './runtime/intern.ts';
import { LeaderElector } from './runtime/leader-election.ts';
import { createLogger, type Logger } from './runtime/logger.ts';

/**
 * Wiring: configuration in, a running operator out. Order matters in three places:
 *  - the policy caches sync before any record is reconciled, so a record is never gated as "no matching
 *    policy" only because the policies had not arrived yet;
 *  - only the leader starts informers and controllers (a standby watches nothing and writes nothing), and
 *    every write checks leadership again, so a replica that lost its lease stops writing at once;
 *  - shutdown stops taking work, lets in-flight reconciles finish (bounded), then releases the Lease so a
 *    successor takes over without waiting for it to expire.
 */

export const COMPONENT = 'ci-remediator-operator';
const WATCH_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000, jitter: 0.2 };
const QUEUE_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 60_000, jitter: 0.1 };
/** Policy status (matchedRecords) is refreshed at most this often when records come and go. */
const MATCHED_REFRESH_MS = 2_000;
/** Whole shutdown budget stays under the 10 s Kubernetes gives by default before SIGKILL... and the contract. */
const DRAIN_TIMEOUT_MS = 6_000;

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  /** Handle SIGTERM/SIGINT (the CLI); tests may drive `stop` instead. */
  handleSignals?: boolean;
  logDestination?: NodeJS.WritableStream;
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
  #elector: LeaderElector | undefined;
  #runtime: Runtime | undefined;
  #events: EventRecorder | undefined;
  #store: Store | undefined;
  #sources: GitHubSources | undefined;
  #opening: Promise<Store> | undefined;
  #stopping = false;
  #done!: (code: number) => void;

  constructor(config: OperatorConfig, options: RunOptions, log: Logger) {
    this.#config = config;
    this.#options = options;
    this.#log = log;
    this.#metrics = createMetrics();
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
    try {
      this.#sources = startGitHubSources({ config, clients: this.#clients, log: this.#log, registry: this.#metrics.registry, store: () => this.#getStore(), canPoll: () => this.#canWrite() && !this.#stopping });
      this.#http = await startHealthServer({
        address: config.httpAddress,
        port: config.httpPort,
        registry: this.#metrics.registry,
        ready: () => this.#ready(),
        // Served by every replica, leader or not: creating a record needs no lease.
        routes: {
          ...this.#sources.routes,
          ...(config.ingestSecret !== undefined && {
            [INGEST_PATH]: createIngestHandler({
              secret: config.ingestSecret,
              clients: this.#clients,
              namespaces: config.namespaces,
              defaultNamespace: config.ingestNamespace ?? (config.namespaces.length === 1 ? config.namespaces[0] : undefined),
              log: this.#log,
              registry: this.#metrics.registry,
            }),
          }),
        },
      });
    } catch (error) {
      this.#log.fatal({ err: errorMessage(error), address: config.httpAddress, port: config.httpPort }, 'cannot listen');
      return 1;
    }
    this.#log.info({ address: this.#http.address, port: this.#http.port, ingest: config.ingestSecret !== undefined }, 'http server listening');

    this.#events = new EventRecorder({
      clients: this.#clients,
      component: COMPONENT,
      instance: config.identity,
      log: this.#log,
      canWrite: () => this.#canWrite(),
    });
    // Open the store now so a wrong URL shows up at start; a database that is merely down is retried per
    // reconcile (records wait with Ready=False/AuditUnavailable), not fatal.
    this.#getStore().catch((error: unknown) => this.#log.warn({ err: errorMessage(error) }, 'store not available yet; records will wait'));

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
    });
    this.#runtime.start().catch((error: unknown) => this.#log.error({ err: errorMessage(error) }, 'controllers failed to start'));
  }

  async #stopRuntime(drainMs: number): Promise<void> {
    const runtime = this.#runtime;
    this.#runtime = undefined;
    await runtime?.stop(drainMs);
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

interface RuntimeOptions {
  config: OperatorConfig;
  clients: KubeClients;
  log: Logger;
  metrics: OperatorMetrics;
  events: EventRecorder;
  store: () => Promise<Store>;
  canWrite: () => boolean;
}

/** What runs while this replica leads: informers, caches and the two controllers. */
class Runtime {
  readonly #options: RuntimeOptions;
  readonly #records: NamespacedCaches<RecordObject>;
  readonly #policies: NamespacedCaches<KubernetesObject>;
  readonly #recordController: Controller;
  readonly #executionController: Controller;
  readonly #policyController: Controller;
  readonly #policyGenerations = new Map<string, number | undefined>();
  #draining = false;
  #drainCanWrite: (() => boolean) | undefined;
  #synced = false;

  constructor(options: RuntimeOptions) {
    this.#options = options;
    const { config, clients, log, metrics } = options;
    const canWrite = () => (this.#draining ? (this.#drainCanWrite?.() ?? false) : options.canWrite());
    const namespaces = config.namespaces.length === 0 ? [undefined] : [...config.namespaces];

    this.#policies = new NamespacedCaches(
      namespaces.map(
        (namespace) =>
          new ResilientInformer<KubernetesObject>({
            name: `${POLICY_PLURAL}@${namespace ?? '*'}`,
            path: watchPath(POLICY_PLURAL, namespace),
            list: () => listCustomObjects(clients, POLICY_PLURAL, namespace),
            factory: listWatchFactory(clients.config, withoutManagedFields),
            transform: withoutManagedFields,
            backoff: WATCH_BACKOFF,
            resyncPeriodMs: config.resyncPeriodMs,
            onEvent: (event, object) => this.#onPolicy(event, object),
            onResync: (objects) => objects.forEach((object) => this.#policyController.enqueue(keyOf(object))),
            log,
          }),
      ),
      namespaces,
    );
    const interner = new StringInterner();
    const cacheRecord = (object: RecordObject): RecordObject => interner.intern(slimRecordForCache(object));
    this.#records = new NamespacedCaches(
      namespaces.map(
        (namespace) =>
          new ResilientInformer<RecordObject>({
            name: `${RECORD_PLURAL}@${namespace ?? '*'}`,
            path: watchPath(RECORD_PLURAL, namespace),
            list: () => listCustomObjects<RecordObject>(clients, RECORD_PLURAL, namespace),
            factory: listWatchFactory(clients.config, cacheRecord),
            transform: cacheRecord,
            backoff: WATCH_BACKOFF,
            resyncPeriodMs: config.resyncPeriodMs,
            onEvent: (event, object) => this.#onRecord(event, object),
            onResync: (objects) =>
              objects.forEach((object) => {
                this.#recordController.enqueue(keyOf(object));
                this.#executionController.enqueue(keyOf(object));
              }),
            log,
          }),
      ),
      namespaces,
    );

    const index = new PolicyIndex(this.#policies);
    const executor = createExecutor(config, log);
    const recordReconciler = new FailureRecordReconciler({
      records: this.#records,
      policies: index,
      clients,
      store: options.store,
      events: options.events,
      canWrite,
      log,
      githubConfigured: executor !== undefined,
    });
    // AutoApproved and later phases: the remediation executor, on a queue of its own (see execution.ts).
    const executionReconciler = new ExecutionReconciler({
      records: this.#records,
      policies: index,
      clients,
      store: options.store,
      events: options.events,
      metrics,
      canWrite,
      log,
      executor,
      pollIntervalMs: config.verifyPollIntervalMs,
      verifyTimeoutMs: config.verifyTimeoutMs,
    });
    const policyReconciler = new RemediationPolicyReconciler({ policies: this.#policies, index, records: this.#records, clients, canWrite });
    this.#recordController = new Controller({
      name: 'failurerecord',
      concurrency: config.maxConcurrentReconciles,
      backoff: QUEUE_BACKOFF,
      reconcile: recordControllerReconcile(this.#records, recordReconciler.reconcile, executionReconciler),
      metrics,
      log,
    });
    this.#executionController = new Controller({
      name: 'execution',
      concurrency: config.maxConcurrentReconciles,
      backoff: QUEUE_BACKOFF,
      reconcile: executionControllerReconcile(this.#records, executionReconciler),
      metrics,
      log,
    });
    this.#policyController = new Controller({
      name: 'remediationpolicy',
      concurrency: 2,
      backoff: QUEUE_BACKOFF,
      reconcile: policyReconciler.reconcile,
      metrics,
      log,
    });
  }

  synced(): boolean {
    return this.#synced;
  }

  depths(): Record<string, number> {
    return {
      failurerecord: this.#recordController.queue.depth,
      execution: this.#executionController.queue.depth,
      remediationpolicy: this.#policyController.queue.depth,
    };
  }

  phases(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const record of this.#records.list()) {
      const phase = record.status?.phase ?? INITIAL_PHASE;
      counts[phase] = (counts[phase] ?? 0) + 1;
    }
    return counts;
  }

  async start(): Promise<void> {
    // Policies first: gating a record before its namespace's policies are known would gate it wrongly.
    this.#policies.start();
    await this.#policies.waitForSync();
    this.#records.start();
    await this.#records.waitForSync();
    if (this.#draining) return;
    this.#policyController.start();
    this.#recordController.start();
    this.#executionController.start();
    this.#synced = true;
    this.#options.log.info({ records: this.#records.list().length, policies: this.#policies.list().length }, 'caches synced; controllers started');
  }

  async stop(drainMs: number, canWriteWhileDraining?: () => boolean): Promise<void> {
    this.#draining = true;
    this.#drainCanWrite = canWriteWhileDraining;
    await Promise.all([
      this.#recordController.queue.shutdown(drainMs),
      this.#executionController.queue.shutdown(drainMs),
      this.#policyController.queue.shutdown(drainMs),
    ]);
    this.#drainCanWrite = undefined;
    await Promise.all([this.#records.stop(), this.#policies.stop()]);
  }

  #onRecord(event: WatchEvent, object: RecordObject): void {
    const key = keyOf(object);
    if (event !== 'delete') {
      this.#recordController.enqueue(key);
      this.#executionController.enqueue(key);
    }
    if (event !== 'update') {
      // matchedRecords changes when records come and go; coalesced, because records arrive in bursts.
      for (const policy of this.#policies.list(object.metadata?.namespace)) this.#policyController.queue.addAfter(keyOf(policy), MATCHED_REFRESH_MS);
    }
  }

  #onPolicy(event: WatchEvent, object: KubernetesObject): void {
    const key = keyOf(object);
    const generation = object.metadata?.generation;
    const specChanged = event !== 'update' || this.#policyGenerations.get(key) !== generation;
    if (event === 'delete') this.#policyGenerations.delete(key);
    else {
      this.#policyGenerations.set(key, generation);
      this.#policyController.enqueue(key);
    }
    // Our own status writes (matchedRecords) do not change the generation: no re-gating for those.
    if (!specChanged) return;
    for (const record of this.#records.list(object.metadata?.namespace)) {
      const phase = (record.status as FailureRecordStatus | undefined)?.phase ?? INITIAL_PHASE;
      if (REGATEABLE_PHASES.has(phase)) this.#recordController.enqueue(keyOf(record));
    }
  }
}

/** One informer per watched namespace (or one for all), behind one get/list. */
class NamespacedCaches<T extends KubernetesObject> {
  readonly #informers: ResilientInformer<T>[];
  readonly #byNamespace: Map<string | undefined, ResilientInformer<T>>;

  constructor(informers: ResilientInformer<T>[], namespaces: (string | undefined)[]) {
    this.#informers = informers;
    this.#byNamespace = new Map(namespaces.map((namespace, i) => [namespace, informers[i]!]));
  }

  #for(namespace: string | undefined): ResilientInformer<T> | undefined {
    return this.#byNamespace.get(undefined) ?? (namespace === undefined ? undefined : this.#byNamespace.get(namespace));
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#for(namespace)?.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    if (namespace !== undefined) return this.#for(namespace)?.list(namespace) ?? [];
    return this.#informers.flatMap((informer) => informer.list());
  }

  start(): void {
    for (const informer of this.#informers) informer.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.#informers.map((informer) => informer.waitForSync()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#informers.map((informer) => informer.stop()));
  }
}

function keyOf(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}
