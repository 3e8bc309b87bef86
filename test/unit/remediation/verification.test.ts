import { describe, expect, it } from '@jest/globals';
import { expectedNewAttempt, findEffect, isInProgress, judgeVerification, phaseAfterVerification } from '../../../src/remediation/verification.ts';

const NOW = new Date('2026-03-10T12:00:00Z');
const LATER = new Date(NOW.getTime() + 60_000);

describe('findEffect', () => {
  it('adopts a latest attempt past the record\'s, and finds nothing otherwise', () => {
    expect(findEffect({ runAttempt: 1 }, { runAttempt: 2 })).toBe(2);
    expect(findEffect({ runAttempt: 3 }, { runAttempt: 5 })).toBe(5);
    expect(findEffect({ runAttempt: 1 }, { runAttempt: 1 })).toBeUndefined();
  });

  it('expects the re-run to be the next attempt', () => {
    expect(expectedNewAttempt({ runAttempt: 4 })).toBe(5);
  });
});

describe('judgeVerification', () => {
  const judge = (run: { status: string; conclusion: string | null } | undefined, now = NOW) => judgeVerification({ attempt: 2, run, now, deadline: LATER });

  it('passes a successful attempt and fails a failed one', () => {
    expect(judge({ status: 'completed', conclusion: 'success' })).toEqual({ state: 'finished', result: 'passed', conclusion: 'success', message: 'attempt 2 passed' });
    for (const conclusion of ['failure', 'timed_out', 'startup_failure']) {
      expect(judge({ status: 'completed', conclusion })).toMatchObject({ state: 'finished', result: 'failed', conclusion });
    }
  });

  it('calls a cancelled or skipped attempt inconclusive', () => {
    expect(judge({ status: 'completed', conclusion: 'cancelled' })).toMatchObject({ result: 'inconclusive', message: expect.stringMatching(/says nothing about whether/) });
  });

  it('keeps waiting while the attempt runs, and is inconclusive at the deadline', () => {
    expect(judge({ status: 'in_progress', conclusion: null })).toEqual({ state: 'pending' });
    expect(judge(undefined)).toEqual({ state: 'pending' });
    expect(judge({ status: 'queued', conclusion: null }, LATER)).toMatchObject({
      state: 'finished',
      result: 'inconclusive',
      message: expect.stringMatching(/still 'queued' at the verification deadline .*; the run is left to finish on its own/),
    });
  });

  it('maps results to phases: only a pass succeeds', () => {
    expect(phaseAfterVerification('passed')).toBe('Succeeded');
    expect(phaseAfterVerification('failed')).toBe('Failed');
    expect(phaseAfterVerification('inconclusive')).toBe('Failed');
  });

  it('treats everything but completed as in progress', () => {
    expect(isInProgress({ status: 'queued' })).toBe(true);
    expect(isInProgress({ status: 'in_progress' })).toBe(true);
    expect(isInProgress({ status: 'completed' })).toBe(false);
  });
});
