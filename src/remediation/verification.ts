import type { FailurePhase } from '../api/failure-record.ts';
import type { RunSnapshot, RunTarget } from './types.ts';

/**
 * How a remediation's effect is found and judged: pure functions over what GitHub returned.
 *
 *  - findEffect: after a crash (or a lost response) between the recorded intent and the call's result, the
 *    effect of a re-run is the run's latest attempt having moved past the record's. It is adopted instead of
 *    calling again.
 *  - judgeVerification: the new attempt passed, failed, or could not be judged (inconclusive) by the deadline.
 */

export type VerificationResult = 'passed' | 'failed' | 'inconclusive';

/** The attempt a re-run of `target` created, if GitHub shows one. */
export function findEffect(target: Pick<RunTarget, 'runAttempt'>, latest: Pick<RunSnapshot, 'runAttempt'>): number | undefined {
  return latest.runAttempt > target.runAttempt ? latest.runAttempt : undefined;
}

/**
 * The attempt a successful re-run created. GitHub numbers attempts consecutively and the preconditions
 * established that the record's attempt was the latest one when the re-run was accepted, so it is the next
 * one; verification then reads that attempt directly, without another request to learn its number.
 */
export function expectedNewAttempt(target: Pick<RunTarget, 'runAttempt'>): number {
  return target.runAttempt + 1;
}

/** Conclusions that say the fix did not work. */
const FAILED_CONCLUSIONS = new Set(['failure', 'timed_out', 'startup_failure', 'action_required', 'stale']);

export type VerificationDecision =
  | { state: 'pending' }
  | { state: 'finished'; result: VerificationResult; conclusion?: string; message: string };

export interface VerificationInput {
  attempt: number;
  /** The attempt as last read; undefined when nothing is known yet. */
  run: Pick<RunSnapshot, 'status' | 'conclusion'> | undefined;
  now: Date;
  /** verification.startedAt + the verification timeout. */
  deadline: Date;
}

export function judgeVerification({ attempt, run, now, deadline }: VerificationInput): VerificationDecision {
  if (run !== undefined && run.status === 'completed') {
    const conclusion = run.conclusion ?? 'unknown';
    if (conclusion === 'success') return { state: 'finished', result: 'passed', conclusion, message: `attempt ${attempt} passed` };
    if (FAILED_CONCLUSIONS.has(conclusion)) {
      return { state: 'finished', result: 'failed', conclusion, message: `attempt ${attempt} ended '${conclusion}': the re-run did not fix the failure` };
    }
    // cancelled (by a person), neutral, skipped: the run says nothing about whether the fix worked.
    return { state: 'finished', result: 'inconclusive', conclusion, message: `attempt ${attempt} ended '${conclusion}', which says nothing about whether the re-run fixed the failure` };
  }
  if (now.getTime() >= deadline.getTime()) {
    const status = run?.status ?? 'not yet seen';
    return {
      state: 'finished',
      result: 'inconclusive',
      message: `attempt ${attempt} was still '${status}' at the verification deadline ${deadline.toISOString()}; the run is left to finish on its own`,
    };
  }
  return { state: 'pending' };
}

/** Where a finished verification takes the record. Only a passed run counts as a success. */
export function phaseAfterVerification(result: VerificationResult): Extract<FailurePhase, 'Succeeded' | 'Failed'> {
  return result === 'passed' ? 'Succeeded' : 'Failed';
}

/** Whether a run (attempt) is still going and so can be cancelled. */
export function isInProgress(run: Pick<RunSnapshot, 'status'>): boolean {
  return run.status !== 'completed';
}
