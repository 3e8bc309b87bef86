/**
 * Capped exponential backoff with jitter, shared by the watch wrapper (restarts), the work queue (per-key
 * retries) and leader election. Jitter spreads retries so replicas (and keys) that failed together do not
 * retry together.
 */
export interface BackoffOptions {
  /** First delay, ms. */
  baseMs: number;
  /** Ceiling, ms; reached after log2(max/base) failures and held. */
  maxMs: number;
  /** Fraction of the delay added at random: 0.1 gives delay * [1, 1.1). */
  jitter?: number;
}

/** Delay before retry number `attempt` (1 for the first retry). `random` in [0, 1) is injected for tests. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  // 2**exponent overflows to Infinity for large attempts; min() then caps it, which is what we want.
  const delay = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  const jitter = options.jitter ?? 0;
  return Math.min(options.maxMs * (1 + jitter), delay * (1 + jitter * random()));
}

/** `period` +- `fraction` at random, for resyncs that should not line up across replicas or restarts. */
export function jittered(periodMs: number, fraction: number, random: () => number = Math.random): number {
  return periodMs * (1 - fraction + 2 * fraction * random());
}
