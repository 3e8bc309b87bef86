import type { KubernetesObject } from '@kubernetes/client-node';
import type { BackoffOptions } from './backoff.ts';
import { listWatchFactory, ResilientInformer, type WatchEvent } from './informer.ts';
import { listCustomObjects, watchPath, type KubeClients } from './kube.ts';
import type { Logger } from './logger.ts';

export interface CustomObjectCachesOptions<T extends KubernetesObject> {
  plural: string;
  /** `undefined` alone: one cluster-wide informer. */
  namespaces: (string | undefined)[];
  clients: KubeClients;
  /** Applied to every object before it enters the cache. */
  transform: (object: T) => T;
  backoff: BackoffOptions;
  resyncPeriodMs: number;
  onEvent: (event: WatchEvent, object: T) => void;
  onResync: (objects: readonly T[]) => void;
  log: Logger;
}

/** One informer of a custom resource per watched namespace, behind one get/list. */
export function customObjectCaches<T extends KubernetesObject>(options: CustomObjectCachesOptions<T>): NamespacedCaches<T> {
  const { plural, namespaces, clients, transform } = options;
  return new NamespacedCaches(
    namespaces.map(
      (namespace) =>
        new ResilientInformer<T>({
          name: `${plural}@${namespace ?? '*'}`,
          path: watchPath(plural, namespace),
          list: () => listCustomObjects<T>(clients, plural, namespace),
          factory: listWatchFactory(clients.config, transform),
          transform,
          backoff: options.backoff,
          resyncPeriodMs: options.resyncPeriodMs,
          onEvent: options.onEvent,
          onResync: options.onResync,
          log: options.log,
        }),
    ),
    namespaces,
  );
}

/** One informer per watched namespace (or one for all), behind one get/list. */
export class NamespacedCaches<T extends KubernetesObject> {
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

