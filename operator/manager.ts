import type { KubernetesObject } from '@kubernetes/client-node';
import type { FailureRecordStatus } from '../src/api/failure-record.ts';
import { INITIAL_PHASE, REGATEABLE_PHASES } from '../src/api/lifecycle.ts';
import type { OperatorConfig } from '../src/config/operator-config.ts';
import type { RemediationPolicy } from '../src/api/remediation-policy.ts';
import type { Notifier } from '../src/notify/notifier.ts';
import type { Store } from '../src/store/index.ts';
import { AnalysisPool } from './controllers/analysis-pool.ts';
import { ApprovalReconciler } from './controllers/approval.ts';
import { ExecutionReconciler } from './controllers/execution.ts';
import { FailureRecordReconciler, slimRecordForCache, type AnalyzeFn, type ModelDeps } from './controllers/failurerecord.ts';
import { configuredProviders } from '../src/policy/analysis-provider.ts';
import { createExecutor, type CredentialsObserver } from './controllers/github-executor.ts';
import { PolicyIndex } from './controllers/policy-index.ts';
import { PLURAL as RECORD_PLURAL, type RecordObject } from './controllers/record-object.ts';
import { POLICY_PLURAL, RemediationPolicyReconciler } from './controllers/remediationpolicy.ts';
import { executionQueueReconcile, recordQueueReconcile } from './controllers/routing.ts';
import { SequencedNotifier } from './controllers/transition-writer.ts';
import type { BackoffOptions } from './runtime/backoff.ts';
import { Controller } from './runtime/controller.ts';
import type { EventRecorder } from './runtime/events.ts';
import type { WatchEvent } from './runtime/informer.ts';
import { StringInterner } from './runtime/intern.ts';
import { withoutManagedFields, type KubeClients } from './runtime/kube.ts';
import type { Logger } from './runtime/logger.ts';
import type { OperatorMetrics } from './runtime/metrics.ts';
import { customObjectCaches, type NamespacedCaches } from './runtime/namespaced-caches.ts';

/**
 * What runs while this replica leads: the informers and their caches, the analysis pool and the three
 * controllers (records, execution, policies), wired together. The process around it (flags, HTTP, the Lease,
 * signals) is main.ts.
 */

const WATCH_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000, jitter: 0.2 };
const QUEUE_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 60_000, jitter: 0.1 };
/** Policy status (matchedRecords) is refreshed at most this often when records come and go. */
const MATCHED_REFRESH_MS = 2_000;

export interface RuntimeOptions {
  config: OperatorConfig;
  clients: KubeClients;
  log: Logger;
  metrics: OperatorMetrics;
  events: EventRecorder;
  store: () => Promise<Store>;
  canWrite: () => boolean;
  notifier: Notifier;
  /** The analyzer the pool runs (analyzeRecord unless a test or the benchmark slows it: test-hooks.ts). */
  analyze?: AnalyzeFn;
  /** The model analyzer, built once at start when an API key is configured (main.ts). */
  model?: ModelDeps;
  /** False without Slack settings: a record awaiting approval then says SlackNotConfigured. */
  slackConfigured?: boolean;
  /** Whether GitHub accepts the credentials, from each of its answers (the operator's alerts). */
  onGitHubCredentials?: CredentialsObserver;
}

/** What runs while this replica leads. */
export class Runtime {
  readonly #options: RuntimeOptions;
  readonly #records: NamespacedCaches<RecordObject>;
  readonly #policies: NamespacedCaches<KubernetesObject>;
  readonly #recordController: Controller;
  readonly #executionController: Controller;
  readonly #policyController: Controller;
  readonly #policyGenerations = new Map<string, number | undefined>();
  readonly #analysis: AnalysisPool;
  readonly #index: PolicyIndex;
  #draining = false;
  #drainCanWrite: (() => boolean) | undefined;
  #synced = false;

  constructor(options: RuntimeOptions) {
    this.#options = options;
    const { config, clients, log, metrics } = options;
    const canWrite = () => (this.#draining ? (this.#drainCanWrite?.() ?? false) : options.canWrite());
    const namespaces = config.namespaces.length === 0 ? [undefined] : [...config.namespaces];

    const informers = { namespaces, clients, backoff: WATCH_BACKOFF, resyncPeriodMs: config.resyncPeriodMs, log };
    this.#policies = customObjectCaches<KubernetesObject>({
      ...informers,
      plural: POLICY_PLURAL,
      transform: withoutManagedFields,
      onEvent: (event, object) => this.#onPolicy(event, object),
      onResync: (objects) => objects.forEach((object) => this.#policyController.enqueue(keyOf(object))),
    });
    const interner = new StringInterner();
    this.#records = customObjectCaches<RecordObject>({
      ...informers,
      plural: RECORD_PLURAL,
      transform: (object) => interner.intern(slimRecordForCache(object)),
      onEvent: (event, object) => this.#onRecord(event, object),
      onResync: (objects) =>
        objects.forEach((object) => {
          this.#recordController.enqueue(keyOf(object));
          this.#executionController.enqueue(keyOf(object));
        }),
    });

    const index = new PolicyIndex(this.#policies);
    this.#index = index;
    const executor = createExecutor(config, log, { metrics, ...(options.onGitHubCredentials !== undefined && { onCredentials: options.onGitHubCredentials }) });
    // One notifier for all three owners, so a record's notices keep their order across the two queues.
    const notifier = new SequencedNotifier(options.notifier, log);
    const shared = { records: this.#records, clients, store: options.store, events: options.events, metrics, notifier, canWrite, log };
    // Analyses run on their own bounded pool; a finished one puts its key back on the record queue.
    this.#analysis = new AnalysisPool({
      concurrency: config.maxConcurrentAnalyses,
      deadlineMs: config.analysisTimeoutMs,
      onDone: (key) => this.#recordController.enqueue(key),
      metrics,
    });
    const recordReconciler = new FailureRecordReconciler({
      ...shared,
      policies: index,
      analysis: this.#analysis,
      ...(options.analyze !== undefined && { analyze: options.analyze }),
      githubConfigured: executor !== undefined,
      ...(options.model !== undefined && { model: options.model }),
      slackConfigured: options.slackConfigured ?? false,
    });
    const approvalReconciler = new ApprovalReconciler({ ...shared, regate: recordReconciler.reconcile });
    // AutoApproved, Approved and later phases: the remediation executor, on a queue of its own (routing.ts).
    const executionReconciler = new ExecutionReconciler({
      ...shared,
      policies: index,
      executor,
      pollIntervalMs: config.verifyPollIntervalMs,
      verifyTimeoutMs: config.verifyTimeoutMs,
    });
    const policyReconciler = new RemediationPolicyReconciler({
      policies: this.#policies,
      index,
      records: this.#records,
      clients,
      canWrite,
      providers: configuredProviders(options.model !== undefined),
    });
    this.#recordController = new Controller({
      name: 'failurerecord',
      concurrency: config.maxConcurrentReconciles,
      backoff: QUEUE_BACKOFF,
      reconcile: recordQueueReconcile(this.#records, { record: recordReconciler.reconcile, approval: approvalReconciler.reconcile }, executionReconciler),
      metrics,
      log,
    });
    this.#executionController = new Controller({
      name: 'execution',
      concurrency: config.maxConcurrentReconciles,
      backoff: QUEUE_BACKOFF,
      reconcile: executionQueueReconcile(this.#records, executionReconciler),
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

  /** A valid policy by name from the cache (the Slack channels of a record's governing policy). */
  policy(namespace: string, name: string): RemediationPolicy | undefined {
    const object = this.#policies.list(namespace).find((candidate) => candidate.metadata?.name === name);
    if (object === undefined) return undefined;
    const parsed = this.#index.parse(object);
    return parsed.ok ? parsed.policy : undefined;
  }

  synced(): boolean {
    return this.#synced;
  }

  depths(): Record<string, number> {
    return {
      failurerecord: this.#recordController.queue.depth,
      execution: this.#executionController.queue.depth,
      remediationpolicy: this.#policyController.queue.depth,
      // Not a controller: records waiting for a slot on the analysis pool.
      analysis: this.#analysis.queued,
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

function keyOf(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}
