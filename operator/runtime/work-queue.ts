import { backoffDelay, type BackoffOptions } from './backoff.ts';

/**
 * The controller work queue (client-go's workqueue semantics, which every Kubernetes controller author
 * expects): keys are `namespace/name`; a key waits at most once however often it is added (events for the
 * same object collapse into one reconcile of its latest state); a key is never reconciled twice at once
 * (an add while it runs marks it dirty and it runs again afterwards, so the change is not lost); failed keys
 * come back after a per-key exponential backoff with a cap; shutdown stops dispatching and waits for the
 * reconciles in flight.
 */

export type Handler = (key: string) => Promise<void>;

/** A work-queue key `namespace/name` split at its first slash (names cannot contain one); no slash: no namespace. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export interface WorkQueueOptions {
  /** Reconciles in parallel (different keys only). */
  concurrency: number;
  backoff: BackoffOptions;
  random?: () => number;
  /** Called with every error a handler throws that is not handled by it; the queue itself never logs. */
  onError?: (key: string, error: unknown) => void;
}

export class WorkQueue {
  readonly #options: WorkQueueOptions;
  // A Set keeps insertion order: first in, first out, with O(1) dedupe.
  readonly #waiting = new Set<string>();
  readonly #processing = new Set<string>();
  /** Added while processing: runs again once the current reconcile ends. */
  readonly #dirty = new Set<string>();
  readonly #delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #failures = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  #handler: Handler | undefined;
  #shuttingDown = false;
  #idle: (() => void) | undefined;

  constructor(options: WorkQueueOptions) {
    this.#options = options;
  }

  /** Keys waiting to run (not those running or delayed). */
  get depth(): number {
    return this.#waiting.size;
  }

  get processing(): number {
    return this.#processing.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  start(handler: Handler): void {
    this.#handler = handler;
    this.#pump();
  }

  add(key: string): void {
    if (this.#shuttingDown) return;
    const delayed = this.#delayed.get(key);
    if (delayed !== undefined) {
      clearTimeout(delayed.timer);
      this.#delayed.delete(key);
    }
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    this.#waiting.add(key);
    this.#pump();
  }

  /** Adds `key` after `ms`; an earlier pending add wins, so a key is never pushed back by a later request. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + ms;
    const existing = this.#delayed.get(key);
    if (existing !== undefined) {
      if (existing.at <= at) return;
      clearTimeout(existing.timer);
    }
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    // A delayed retry must not keep a shutting-down process alive.
    timer.unref();
    this.#delayed.set(key, { at, timer });
  }

  /** Retry after the key's next backoff step; returns the delay chosen. */
  addRateLimited(key: string): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    const delay = backoffDelay(failures, this.#options.backoff, this.#options.random);
    this.addAfter(key, delay);
    return delay;
  }

  /** The key succeeded (or will not be retried): its next failure starts from the base delay again. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /**
   * Stops taking work: nothing new starts, delayed retries are dropped, and the promise resolves when the
   * reconciles in flight have finished or `timeoutMs` has passed (true when they all finished).
   */
  async shutdown(timeoutMs: number): Promise<boolean> {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    this.#waiting.clear();
    this.#dirty.clear();
    if (this.#inFlight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((resolve) => {
      this.#idle = () => resolve(true);
    });
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([drained, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  #pump(): void {
    const handler = this.#handler;
    if (handler === undefined) return;
    while (!this.#shuttingDown && this.#processing.size < this.#options.concurrency && this.#waiting.size > 0) {
      const key = this.#waiting.values().next().value as string;
      this.#waiting.delete(key);
      this.#processing.add(key);
      const run: Promise<void> = this.#run(handler, key).finally(() => {
        this.#inFlight.delete(run);
        this.#processing.delete(key);
        if (this.#dirty.delete(key) && !this.#shuttingDown) this.#waiting.add(key);
        if (this.#shuttingDown && this.#inFlight.size === 0) this.#idle?.();
        this.#pump();
      });
      this.#inFlight.add(run);
    }
  }

  async #run(handler: Handler, key: string): Promise<void> {
    try {
      await handler(key);
    } catch (error) {
      this.#options.onError?.(key, error);
    }
  }
}
