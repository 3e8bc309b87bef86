import type { InjectionSpan } from '../injection-detector.ts';
import type { ModelVerdict } from './model-verdict.ts';

/**
 * Model verdicts by failure: the same fingerprint in the same repository, asked of the same model within the
 * TTL, is answered from here for 0 tokens. What is cached is the model's checked, redacted answer, not the
 * merged verdict: the merge runs again against the current rules floor and policy on every hit.
 */
export interface CachedModelVerdict {
  verdict: ModelVerdict;
  injection: InjectionSpan[];
  toolCalls: string[];
  at: number;
}

export const DEFAULT_VERDICT_TTL_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_VERDICT_CACHE_SIZE = 10_000;

export class VerdictCache {
  readonly #entries = new Map<string, CachedModelVerdict>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  hits = 0;
  misses = 0;

  constructor(options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.#ttlMs = options.ttlMs ?? DEFAULT_VERDICT_TTL_MS;
    this.#maxEntries = options.maxEntries ?? DEFAULT_VERDICT_CACHE_SIZE;
  }

  static key(repository: string | undefined, fingerprint: string, model: string): string {
    return `${repository ?? ''}\0${fingerprint}\0${model}`;
  }

  get(key: string, now: number): CachedModelVerdict | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || now - entry.at >= this.#ttlMs) {
      if (entry !== undefined) this.#entries.delete(key);
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    return entry;
  }

  set(key: string, entry: CachedModelVerdict): void {
    this.#entries.delete(key);
    // Map order is insertion order: the first key is the oldest write.
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, entry);
  }

  get size(): number {
    return this.#entries.size;
  }
}
