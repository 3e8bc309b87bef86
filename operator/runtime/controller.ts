import type { OperatorMetrics } from './metrics.ts';
import type { BackoffOptions } from './backoff.ts';
import type { Logger } from './logger.ts';
import { classify, WaitingError, type ReconcileOutcome } from './reconcile-errors.ts';
import { WorkQueue } from './work-queue.ts';

/**
 * A work queue bound to a reconcile function, with what every controller needs around it: the typed
 * errors decide the next step, and each reconcile is counted and timed.
 */
export interface ReconcileResult {
  /** Come back after this long even if nothing changes (e.g. an approval deadline). */
  requeueAfterMs?: number;
}

export type Reconcile = (key: string) => Promise<ReconcileResult | void>;

export interface ControllerOptions {
  name: string;
  concurrency: number;
  backoff: BackoffOptions;
  reconcile: Reconcile;
  metrics: OperatorMetrics;
  log: Logger;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #options: ControllerOptions;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.#options = options;
    this.queue = new WorkQueue({
      concurrency: options.concurrency,
      backoff: options.backoff,
      onError: (key, error) => options.log.error({ controller: options.name, key, err: error }, 'reconcile handler failed'),
    });
    // Series exist from the start, so a dashboard (or a test) sees 0 rather than no data.
    options.metrics.reconcileErrors.inc({ controller: options.name }, 0);
    options.metrics.reconcileTotal.inc({ controller: options.name, result: 'success' }, 0);
  }

  start(): void {
    this.queue.start((key) => this.#handle(key));
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  async #handle(key: string): Promise<void> {
    const { metrics, log, name } = this.#options;
    const stopTimer = metrics.reconcileDuration.startTimer({ controller: name });
    let outcome: ReconcileOutcome = 'success';
    try {
      const result = await this.#options.reconcile(key);
      this.queue.forget(key);
      if (result?.requeueAfterMs !== undefined) {
        outcome = 'requeue';
        this.queue.addAfter(key, result.requeueAfterMs);
      }
    } catch (error) {
      outcome = classify(error);
      switch (outcome) {
        case 'stalled':
          // Waits for a spec change; the watch brings the key back then.
          this.queue.forget(key);
          log.info({ controller: name, key, reason: (error as Error).message }, 'reconcile stalled');
          break;
        case 'waiting':
          this.queue.forget(key);
          this.queue.addAfter(key, (error as WaitingError).requeueAfterMs);
          break;
        case 'conflict':
          // Someone (often our own previous write) changed the object: try again on the newer version soon.
          this.queue.addRateLimited(key);
          log.debug({ controller: name, key }, 'conflict; requeued');
          break;
        default: {
          metrics.reconcileErrors.inc({ controller: name });
          const retryInMs = Math.round(this.queue.addRateLimited(key));
          log.warn({ controller: name, key, err: error instanceof Error ? error.message : String(error), retryInMs }, 'reconcile failed; retrying');
        }
      }
    } finally {
      stopTimer();
      metrics.reconcileTotal.inc({ controller: name, result: outcome });
    }
  }
}
