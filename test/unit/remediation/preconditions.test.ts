import { describe, expect, it } from '@jest/globals';
import { cacheKeyPrefix, cachesToDelete, checkPreconditions, MAX_CACHES_TO_CLEAR, type PreconditionInput } from '../../../src/remediation/preconditions.ts';
import type { RunSnapshot, RunTarget } from '../../../src/remediation/types.ts';

const NOW = new Date('2026-03-10T12:00:00Z');
const SHA = 'a'.repeat(40);
const OTHER_SHA = 'b'.repeat(40);
const target: RunTarget = { repository: 'acme/web', runId: 42, runAttempt: 1, sha: SHA, branch: 'main' };
const run: RunSnapshot = { runAttempt: 1, status: 'completed', conclusion: 'failure', createdAt: '2026-03-10T11:00:00Z', headSha: SHA, headBranch: 'main' };

function input(overrides: Partial<PreconditionInput> & { run?: Partial<RunSnapshot> } = {}): PreconditionInput {
  const { run: runOverrides, ...rest } = overrides;
  return {
    action: 'rerun-failed-jobs',
    target,
    observation: { run: { ...run, ...runOverrides } },
    now: NOW,
    waitUntil: new Date(NOW.getTime() + 60_000),
    ...rest,
  };
}

function refusal(verdict: ReturnType<typeof checkPreconditions>): string {
  if (verdict.verdict !== 'refuse') throw new Error(`expected a refusal, got ${JSON.stringify(verdict)}`);
  return verdict.reasons.join('\n');
}

describe('checkPreconditions', () => {
  it('lets a finished, failed, recent run whose latest attempt is the record\'s be re-run', () => {
    expect(checkPreconditions(input())).toEqual({ verdict: 'go' });
  });

  it('refuses when the run has been re-run since the failure was reported', () => {
    expect(refusal(checkPreconditions(input({ run: { runAttempt: 2, status: 'in_progress', conclusion: null } })))).toMatch(
      /has been re-run since this failure was reported: its latest attempt is 2, this record is about attempt 1/,
    );
  });

  it('refuses from 50 attempts on', () => {
    const at49 = input({ target: { ...target, runAttempt: 49 }, run: { runAttempt: 49 } });
    expect(checkPreconditions(at49).verdict).toBe('go');
    const at50 = input({ target: { ...target, runAttempt: 50 }, run: { runAttempt: 50 } });
    expect(refusal(checkPreconditions(at50))).toMatch(/already been attempted 50 times/);
  });

  it('refuses runs 30 days old or older, naming their age', () => {
    const old = input({ run: { createdAt: '2026-02-08T12:00:00Z' } });
    expect(refusal(checkPreconditions(old))).toMatch(/created 30 days ago; GitHub re-runs only runs from the last 30 days/);
    expect(checkPreconditions(input({ run: { createdAt: '2026-02-09T12:00:01Z' } })).verdict).toBe('go');
  });

  it('refuses when the run is for another commit than the record reports', () => {
    expect(refusal(checkPreconditions(input({ run: { headSha: OTHER_SHA } })))).toMatch(/built commit bbbbbbb, but this record reports commit aaaaaaa/);
  });

  it('refuses a run that ended without failed jobs', () => {
    expect(refusal(checkPreconditions(input({ run: { conclusion: 'success' } })))).toMatch(/ended 'success': it has no failed jobs to re-run/);
  });

  it('waits while the run is still going, and refuses once waited long enough', () => {
    const going = checkPreconditions(input({ run: { status: 'in_progress', conclusion: null } }));
    expect(going).toEqual({ verdict: 'wait', reason: expect.stringMatching(/still 'in_progress'; GitHub re-runs only a finished run/) });
    const late = checkPreconditions(input({ run: { status: 'in_progress', conclusion: null }, waitUntil: new Date(NOW.getTime() - 1) }));
    expect(refusal(late)).toMatch(/waited for long enough/);
  });

  it('checks the branch head for rerun-workflow only', () => {
    const moved = { observation: { run, branchHead: OTHER_SHA } };
    expect(refusal(checkPreconditions(input({ action: 'rerun-workflow', ...moved })))).toMatch(
      /branch 'main' has moved from aaaaaaa \(the failed run's commit\) to bbbbbbb; re-running the whole workflow would build the old commit again/,
    );
    expect(checkPreconditions(input({ action: 'rerun-failed-jobs', ...moved })).verdict).toBe('go');
    expect(checkPreconditions(input({ action: 'rerun-workflow', observation: { run, branchHead: SHA } })).verdict).toBe('go');
    expect(refusal(checkPreconditions(input({ action: 'rerun-workflow', observation: { run, branchHead: null } })))).toMatch(/branch 'main' no longer exists/);
  });

  it('needs a key prefix for clear-caches, and refuses one that matches too many caches', () => {
    expect(refusal(checkPreconditions(input({ action: 'clear-caches', observation: { run, caches: [] } })))).toMatch(
      /clear-caches needs the cache key prefix to clear \(proposedRemediation\.params\.keyPrefix\)/,
    );
    const caches = Array.from({ length: MAX_CACHES_TO_CLEAR + 1 }, (_, i) => ({ id: i + 1, key: `npm-${i}`, ref: 'refs/heads/main' }));
    expect(refusal(checkPreconditions(input({ action: 'clear-caches', params: { keyPrefix: 'npm-' }, observation: { run, caches } })))).toMatch(
      /the key prefix 'npm-' matches 51 caches; more than 50 is too broad/,
    );
    expect(checkPreconditions(input({ action: 'clear-caches', params: { keyPrefix: 'npm-' }, observation: { run, caches: caches.slice(0, 3) } })).verdict).toBe('go');
  });

  it('refuses with the policy\'s reason, and says every reason at once', () => {
    const verdict = checkPreconditions(input({ policyRefusal: "policy 'p' no longer lets this remediation run automatically", run: { runAttempt: 2, headSha: OTHER_SHA } }));
    const text = refusal(verdict);
    expect(text).toMatch(/policy 'p'/);
    expect(text).toMatch(/latest attempt is 2/);
    expect(text).toMatch(/built commit bbbbbbb/);
  });

  it('lets notify-only through without looking at the run', () => {
    expect(checkPreconditions(input({ action: 'notify-only', run: { runAttempt: 60, status: 'in_progress' } })).verdict).toBe('go');
    expect(checkPreconditions(input({ action: 'notify-only', policyRefusal: 'blocked now' })).verdict).toBe('refuse');
  });
});

describe('cache selection', () => {
  it('reads the prefix from params, ignoring a blank one', () => {
    expect(cacheKeyPrefix({ keyPrefix: ' npm-linux- ' })).toBe('npm-linux-');
    expect(cacheKeyPrefix({ keyPrefix: '  ' })).toBeUndefined();
    expect(cacheKeyPrefix(undefined)).toBeUndefined();
  });

  it('deletes exactly the caches whose key starts with the prefix', () => {
    const caches = [
      { id: 1, key: 'npm-linux-abc' },
      { id: 2, key: 'pip-linux-abc' },
      { id: 3, key: 'xnpm-linux-abc' },
      { id: 4, key: 'npm-linux-def' },
    ];
    expect(cachesToDelete(caches, 'npm-linux-').map((cache) => cache.id)).toEqual([1, 4]);
  });
});
