/**
 * What a reconcile's failure means for the queue (Flux's typed errors): the controller reads the class,
 * not the message.
 */

/** Nothing will change until the object's spec does: no requeue; the next watch event brings it back. */
export class StalledError extends Error {
  readonly code = 'RECONCILE_STALLED';
}

/** Expected to resolve with time (an approval, a timeout): come back after `requeueAfterMs`, no backoff. */
export class WaitingError extends Error {
  readonly code = 'RECONCILE_WAITING';
  readonly requeueAfterMs: number;

  constructor(message: string, requeueAfterMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.requeueAfterMs = requeueAfterMs;
  }
}

/** A dependency failed (API server, database): retry with the key's exponential backoff. Any other error counts as this. */
export class TransientError extends Error {
  readonly code: string = 'RECONCILE_TRANSIENT';
}

/** The status write lost an optimistic-concurrency race: reconcile again at once, on the newer object. */
export class ConflictError extends TransientError {
  override readonly code = 'RECONCILE_CONFLICT';
}

export type ReconcileOutcome = 'success' | 'requeue' | 'stalled' | 'waiting' | 'conflict' | 'error';

export function classify(error: unknown): ReconcileOutcome {
  if (error instanceof StalledError) return 'stalled';
  if (error instanceof WaitingError) return 'waiting';
  if (error instanceof ConflictError) return 'conflict';
  return 'error';
}
