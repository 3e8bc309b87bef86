import { ListWatch, Watch, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ListPromise, type ObjectCache } from '@kubernetes/client-node';
import { backoffDelay, jittered, type BackoffOptions } from './backoff.ts';

/**
 * The one place that keeps a watch alive. client-node's informer (ListWatch) relists by itself on a 410
 * Gone and re-watches when the server closes a watch normally, but on any other error (a refused
 * connection, a 500, a failed list, an expired token) it emits `error` and stops for good. This wrapper
 * restarts it after a capped, jittered exponential backoff, reports when the first list has been
 * delivered (caches synced), and resyncs: every period (with jitter) it hands every cached object to the
 * controller again, which is how a missed event or a failed side effect eventually gets another reconcile.
 */

export type InformerFactory<T extends KubernetesObject> = (path: string, list: ListPromise<T>) => Informer<T> & ObjectCache<T>;

export type WatchEvent = 'add' | 'update' | 'delete';

export interface ResilientInformerOptions<T extends KubernetesObject> {
  /** For logs and metrics: `failurerecords@ns` */
  name: string;
  /** Watch path, e.g. `/apis/ci-remediator.dev/v1alpha1/namespaces/ns/failurerecords`. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  factory: InformerFactory<T>;
  backoff: BackoffOptions;
  resyncPeriodMs: number;
  onEvent: (event: WatchEvent, object: T) => void;
  onResync?: (objects: readonly T[]) => void;
  /**
   * Applied to every object before it enters the cache (client-go's SetTransform): dropping what the
   * controller never reads (managedFields) keeps memory flat with many objects.
   */
  transform?: (object: T) => T;
  log?: { warn(details: object, message: string): void; info(details: object, message: string): void; debug?(details: object, message: string): void };
  random?: () => number;
}

export class ResilientInformer<T extends KubernetesObject> {
  readonly #options: ResilientInformerOptions<T>;
  readonly #informer: Informer<T> & ObjectCache<T>;
  #synced = false;
  #syncWaiters: (() => void)[] = [];
  #stopped = true;
  #failures = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  /** Restarts so far (for tests and metrics). */
  restarts = 0;

  constructor(options: ResilientInformerOptions<T>) {
    this.#options = options;
    const transform = options.transform ?? ((object: T) => object);
    const list: ListPromise<T> = async () => {
      const result = await options.list();
      const items = result.items.map(transform);
      // The informer adds the items synchronously after this promise settles; setImmediate runs after
      // that, so "synced" means the cache holds the whole list and its add events have been delivered.
      setImmediate(() => this.#markSynced());
      this.#failures = 0;
      return { ...result, items };
    };
    this.#informer = options.factory(options.path, list);
    this.#informer.on('add', (object) => options.onEvent('add', object));
    this.#informer.on('update', (object) => {
      this.#failures = 0;
      options.onEvent('update', object);
    });
    this.#informer.on('delete', (object) => options.onEvent('delete', object));
    this.#informer.on('error', (error) => this.#onError(error));
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** Resolves once the first list has been delivered (it may take several restarts). */
  waitForSync(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#informer.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.#informer.list(namespace);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#begin();
    this.#scheduleResync();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    clearTimeout(this.#resyncTimer);
    await this.#informer.stop();
  }

  #begin(): void {
    this.#informer.start().catch((error: unknown) => this.#onError(error));
  }

  #onError(error: unknown): void {
    if (this.#stopped) return;
    if (statusOf(error) === 429) {
      // Not a failure: kube-apiserver creates a custom resource's storage, and its watch cache, on the first
      // request for that resource after it starts (or after the CRD is created), and answers 429 "storage is
      // (re)initializing" with Retry-After: 1 until the cache has listed etcd (resilient watch cache
      // initialization, Kubernetes 1.31+). Every operator start on a fresh API server meets it; client-go's
      // reflector waits it out the same way, without backing off or warning.
      this.#options.log?.debug?.({ informer: this.#options.name, retryInMs: CACHE_INITIALIZING_RETRY_MS }, "the API server's watch cache is initializing; watching again shortly");
      clearTimeout(this.#restartTimer);
      this.#restartTimer = setTimeout(() => {
        if (this.#stopped) return;
        this.#begin();
      }, CACHE_INITIALIZING_RETRY_MS);
      return;
    }
    this.#failures++;
    const delay = backoffDelay(this.#failures, this.#options.backoff, this.#options.random);
    this.#options.log?.warn({ informer: this.#options.name, err: describe(error), retryInMs: Math.round(delay) }, 'watch failed; restarting');
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      if (this.#stopped) return;
      this.restarts++;
      this.#begin();
    }, delay);
  }

  #markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    for (const resolve of this.#syncWaiters.splice(0)) resolve();
  }

  #scheduleResync(): void {
    const { resyncPeriodMs, onResync } = this.#options;
    if (onResync === undefined || resyncPeriodMs <= 0) return;
    this.#resyncTimer = setTimeout(() => {
      if (this.#stopped) return;
      if (this.#synced) onResync(this.#informer.list());
      this.#scheduleResync();
    }, jittered(resyncPeriodMs, 0.1, this.#options.random));
    this.#resyncTimer.unref();
  }
}

/** kube-apiserver's Retry-After while a watch cache initializes. */
const CACHE_INITIALIZING_RETRY_MS = 1_000;

function statusOf(error: unknown): number | undefined {
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  const status = statusCode ?? code;
  return typeof status === 'number' ? status : undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { statusCode?: number; code?: number | string }).statusCode ?? (error as { code?: unknown }).code;
    return status === undefined ? error.message : `${String(status)} ${error.message.split('\n')[0]}`;
  }
  return String(error);
}

/**
 * The production informer: client-node's ListWatch over a Watch that applies the same transform to watch
 * events as the list gets, and that treats a watch the server closes at once, again and again, as an
 * error (ListWatch would otherwise reconnect in a tight loop).
 */
export function listWatchFactory<T extends KubernetesObject>(kubeConfig: KubeConfig, transform?: (object: T) => T): InformerFactory<T> {
  return (path, list) => new ListWatch<T>(path, new TransformingWatch(kubeConfig, transform as ((object: unknown) => unknown) | undefined), list, false);
}

const QUICK_CLOSE_MS = 1_000;
const MAX_QUICK_CLOSES = 5;

class TransformingWatch extends Watch {
  readonly #transform: ((object: unknown) => unknown) | undefined;
  #quickCloses = 0;

  constructor(config: KubeConfig, transform: ((object: unknown) => unknown) | undefined) {
    super(config);
    this.#transform = transform;
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const started = Date.now();
    const transform = this.#transform;
    return super.watch(
      path,
      // Server-side timeout: a watch on a half-dead connection ends within minutes instead of never.
      { ...queryParams, timeoutSeconds: 300 + Math.floor(Math.random() * 60) },
      (phase, object, watchObj) => callback(phase, transform !== undefined && phase !== 'ERROR' ? transform(object) : object, watchObj),
      (err) => {
        if (err === null || err === undefined) {
          this.#quickCloses = Date.now() - started < QUICK_CLOSE_MS ? this.#quickCloses + 1 : 0;
          if (this.#quickCloses >= MAX_QUICK_CLOSES) {
            this.#quickCloses = 0;
            done(new Error('the watch keeps closing as soon as it opens'));
            return;
          }
        }
        done(err);
      },
    );
  }
}
