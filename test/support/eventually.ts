// The one waiter the tests use instead of fixed sleeps.

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is being waited for, for the timeout message. */
  description?: string;
}

/**
 * Calls `check` until it returns without throwing, and returns its value; after `timeoutMs` throws with the
 * last failure, so a timed-out wait reads like the assertion that never held.
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 200, description } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`${description ?? 'condition'} did not hold within ${timeoutMs} ms: ${reason}`, { cause: lastError });
}
