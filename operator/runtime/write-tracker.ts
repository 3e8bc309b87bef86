import type { KubernetesObject } from '@kubernetes/client-node';
import { describeApiError, isConflict, isNotFound } from './kube.ts';
import { ConflictError, TransientError } from './reconcile-errors.ts';

/**
 * A reconciler's writes to the objects it reconciles (status, finalizers), and the resourceVersion of its last
 * write per key. The watch delivers our own write a little later; a reconcile that runs before then would read
 * the older cached object and redo work only to hit a 409, so it is skipped instead (`cacheIsBehind`).
 * resourceVersions are opaque, so this is an optimization only: when they are not integers it is skipped.
 */
export class WriteTracker {
  readonly #canWrite: () => boolean;
  readonly #written = new Map<string, string>();

  /** `canWrite`: false once the lease may no longer be ours; then every write is refused before it is sent. */
  constructor(canWrite: () => boolean) {
    this.#canWrite = canWrite;
  }

  /**
   * Makes the write and remembers the resourceVersion it returned. A 409 (the object changed since it was read)
   * becomes a ConflictError, reconciled again at once; a 404 is passed on as it is; anything else is transient.
   */
  async write<T extends KubernetesObject>(key: string, write: () => Promise<T>): Promise<T> {
    if (!this.#canWrite()) throw new TransientError('not the leader: writes are stopped');
    try {
      const written = await write();
      const version = written.metadata?.resourceVersion;
      if (version !== undefined) this.#written.set(key, version);
      return written;
    } catch (error) {
      if (isConflict(error)) throw new ConflictError(`${key} changed since it was read`, { cause: error });
      if (isNotFound(error)) throw error;
      throw new TransientError(`writing ${key} failed: ${describeApiError(error)}`, { cause: error });
    }
  }

  /** Whether the cached `object` is older than our last write of `key`; once it has caught up, the write is forgotten. */
  cacheIsBehind(key: string, object: KubernetesObject): boolean {
    const written = this.#written.get(key);
    const cached = object.metadata?.resourceVersion;
    if (written === undefined || cached === undefined) return false;
    if (/^\d+$/.test(written) && /^\d+$/.test(cached) && BigInt(cached) < BigInt(written)) return true;
    this.#written.delete(key);
    return false;
  }

  /** Forgets `key` (its object is gone). */
  forget(key: string): void {
    this.#written.delete(key);
  }
}
