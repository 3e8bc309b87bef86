import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResilientInformer } from './informer.ts';

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

