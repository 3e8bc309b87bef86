import type { AnalysisStatus } from '../../src/api/failure-record.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';

/**
 * Analysis on a bounded pool of its own, with a deadline per record, so a slow analyzer (a model behind an
 * HTTP call) cannot hold the record queue's workers: gating, re-gating and approvals of other records go on
 * while an analysis runs. The record reconciler asks for a record's analysis with `take`; the first ask
 * queues the job and returns `pending`, and when the job ends `onDone(key)` puts the key back on the record
 * queue, whose next reconcile takes the result. A result belongs to one version of the spec (`token`: uid and
 * generation); a stale one is dropped and the job runs again.
 *
 * Each job gets an AbortSignal that fires a little before the deadline (`signalLeadMs`): an analyzer that
 * listens (the model analyzer) stops there and returns the rules verdict with its fallback reason, which is
 * then written like any analysis. At the deadline itself the slot is given back and the record gets an
 * AnalysisTimeoutError (retried with backoff, like any failed analysis); a late result is ignored.
 */

/** How long before the deadline the job's signal fires: a fifth of it, at most 2 s (time to answer with the floor). */
export function signalLeadMs(deadlineMs: number): number {
  return Math.min(2_000, Math.floor(deadlineMs / 5));
}

export class AnalysisTimeoutError extends Error {
  constructor(deadlineMs: number) {
    super(`the analysis did not finish within ${deadlineMs < 1000 ? `${deadlineMs}ms` : `${Math.round(deadlineMs / 1000)}s`} (--analysis-timeout)`);
    this.name = 'AnalysisTimeoutError';
  }
}

export type AnalysisOutcome = { ok: true; analysis: AnalysisStatus } | { ok: false; error: unknown };

export interface AnalysisPoolOptions {
  concurrency: number;
  deadlineMs: number;
  /** The key's job has ended (result ready to take). */
  onDone: (key: string) => void;
  metrics?: OperatorMetrics;
}

interface Entry {
  token: string;
  job: (signal: AbortSignal) => Promise<AnalysisStatus>;
  outcome?: AnalysisOutcome;
}

export class AnalysisPool {
  readonly #options: AnalysisPoolOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #waiting: string[] = [];
  #running = 0;

  constructor(options: AnalysisPoolOptions) {
    if (options.concurrency < 1) throw new Error('the analysis pool needs at least one worker');
    this.#options = options;
  }

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * The outcome of `key`'s analysis for `token`, taken (a second call starts a new job), or `pending` after
   * queueing `job` (or while it is queued or running).
   */
  take(key: string, token: string, job: (signal: AbortSignal) => Promise<AnalysisStatus>): AnalysisOutcome | 'pending' {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.token === token) {
      if (entry.outcome === undefined) return 'pending';
      this.#entries.delete(key);
      return entry.outcome;
    }
    const queued = entry !== undefined && entry.outcome === undefined && this.#waiting.includes(key);
    this.#entries.set(key, { token, job });
    // A newer spec replaces a job still waiting in place; one already running finishes for a token nobody takes.
    if (!queued) this.#waiting.push(key);
    this.#pump();
    return 'pending';
  }

  /** The record is gone: nothing of it is kept or run. */
  forget(key: string): void {
    this.#entries.delete(key);
    const at = this.#waiting.indexOf(key);
    if (at >= 0) this.#waiting.splice(at, 1);
  }

  #pump(): void {
    while (this.#running < this.#options.concurrency && this.#waiting.length > 0) {
      const key = this.#waiting.shift()!;
      const entry = this.#entries.get(key);
      if (entry === undefined) continue;
      this.#running += 1;
      void this.#run(key, entry);
    }
  }

  async #run(key: string, entry: Entry): Promise<void> {
    const { deadlineMs, metrics } = this.#options;
    const stopTimer = metrics?.analysisDuration.startTimer();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AnalysisTimeoutError(deadlineMs)), deadlineMs);
    });
    const abort = new AbortController();
    const signalTimer = setTimeout(() => abort.abort(new AnalysisTimeoutError(deadlineMs)), deadlineMs - signalLeadMs(deadlineMs));
    let outcome: AnalysisOutcome;
    try {
      outcome = { ok: true, analysis: await Promise.race([entry.job(abort.signal), deadline]) };
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      clearTimeout(timer);
      clearTimeout(signalTimer);
      // A job that outlived its deadline is told to stop (its result is ignored anyway).
      if (!abort.signal.aborted) abort.abort(new AnalysisTimeoutError(deadlineMs));
      stopTimer?.();
      this.#running -= 1;
    }
    metrics?.analyses.inc({ result: outcome.ok ? 'ok' : outcome.error instanceof AnalysisTimeoutError ? 'timeout' : 'failed' });
    // Only the job of the current token is kept; a replaced or forgotten one is dropped.
    if (this.#entries.get(key) === entry) {
      entry.outcome = outcome;
      this.#options.onDone(key);
    }
    this.#pump();
  }
}
