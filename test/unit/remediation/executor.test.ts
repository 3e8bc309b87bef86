import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createGitHubClient, GitHubApiError } from '../../../src/github/client.ts';
import { classifyGitHubFailure, RemediationExecutor } from '../../../src/remediation/executor.ts';
import { checkPreconditions, MAX_CACHES_TO_CLEAR } from '../../../src/remediation/preconditions.ts';
import type { RunTarget } from '../../../src/remediation/types.ts';
import { startGitHubServer, type FakeRun, type GitHubServer } from '../../support/github-server.ts';

// The executor's GitHub I/O through the production client, against the local GitHub API server.

let github: GitHubServer;
let executor: RemediationExecutor;

beforeAll(async () => {
  github = await startGitHubServer({ tokens: ['ghs_unit'] });
  executor = new RemediationExecutor(createGitHubClient({ baseUrl: github.url, auth: { token: 'ghs_unit' }, maxRetries: 0 }));
});

afterAll(async () => {
  await github.close();
});

function targetOf(run: FakeRun, attempt = run.latest.number): RunTarget {
  return { repository: run.repo.fullName, runId: run.id, runAttempt: attempt, sha: run.headSha, branch: run.headBranch };
}

const JOBS = [
  { name: 'build', conclusion: 'success' as const },
  { name: 'test', conclusion: 'failure' as const },
];

describe('RemediationExecutor', () => {
  it('observes the run, re-runs its failed jobs, and finds the new attempt as the effect', async () => {
    const run = github.repo('acme/unit-rerun').addRun({ jobs: JOBS });
    const target = targetOf(run);
    const observation = await executor.observe('rerun-failed-jobs', target);
    expect(observation.run).toMatchObject({ runAttempt: 1, status: 'completed', conclusion: 'failure', headSha: run.headSha, headBranch: 'main' });
    expect(observation.branchHead).toBeUndefined();
    expect(await executor.findEffect(target)).toMatchObject({ newRunAttempt: undefined });

    const result = await executor.execute('rerun-failed-jobs', target, observation);
    expect(result).toMatchObject({ newRunAttempt: 2, calls: [`POST /repos/acme/unit-rerun/actions/runs/${run.id}/rerun-failed-jobs`] });
    expect(run.reruns).toHaveLength(1);
    expect(await executor.findEffect(target)).toMatchObject({ newRunAttempt: 2 });
  });

  it('polls with the ETag: an unchanged attempt is a 304', async () => {
    const run = github.repo('acme/unit-poll').addRun({ jobs: JOBS, onRerun: { conclusion: 'success', afterPolls: 4 } });
    const target = targetOf(run);
    await executor.execute('rerun-failed-jobs', target, await executor.observe('rerun-failed-jobs', target));
    const first = await executor.poll(target, 2, undefined);
    expect(first).toMatchObject({ notModified: false, run: { runAttempt: 2, status: 'in_progress' } });
    const second = await executor.poll(target, 2, first.etag);
    expect(second).toEqual({ notModified: true, etag: first.etag });
    const polls = github.apiRequests({ path: `/repos/acme/unit-poll/actions/runs/${run.id}/attempts/2` });
    expect(polls.map((request) => [request.headers['if-none-match'] ?? null, request.status])).toEqual([
      [null, 200],
      [first.etag, 304],
    ]);
  });

  it('reads the branch head for rerun-workflow, null when the branch is gone', async () => {
    const repo = github.repo('acme/unit-branch');
    const run = repo.addRun({ jobs: JOBS, headBranch: 'topic', headSha: 'f'.repeat(40) });
    expect((await executor.observe('rerun-workflow', targetOf(run))).branchHead).toBe('f'.repeat(40));
    repo.branches.delete('topic');
    expect((await executor.observe('rerun-workflow', targetOf(run))).branchHead).toBeNull();
  });

  it('deletes exactly the caches under the prefix, then re-runs', async () => {
    const repo = github.repo('acme/unit-caches');
    for (const key of ['go-linux-1', 'go-linux-2', 'go-macos-1', 'xgo-linux-1']) repo.addCache({ key });
    const run = repo.addRun({ jobs: JOBS });
    const target = targetOf(run);
    const observation = await executor.observe('clear-caches', target, { keyPrefix: 'go-linux-' });
    expect(observation.caches?.map((cache) => cache.key)).toEqual(['go-linux-1', 'go-linux-2']);
    const result = await executor.execute('clear-caches', target, observation);
    expect(result.deletedCaches?.map((cache) => cache.key)).toEqual(['go-linux-1', 'go-linux-2']);
    expect(repo.caches.map((cache) => cache.key)).toEqual(['go-macos-1', 'xgo-linux-1']);
    expect(run.reruns).toHaveLength(1);
    // A repeat (after a crash) finds the caches gone and is not an error.
    await expect(executor.execute('clear-caches', { ...target, runAttempt: 2 }, observation)).rejects.toThrow(/already running/);
    expect(repo.caches).toHaveLength(2);
  });

  it('lists no further than one cache past the maximum for a broad prefix, which is then refused', async () => {
    const repo = github.repo('acme/unit-broad-caches');
    for (let i = 0; i < 450; i++) repo.addCache({ key: `npm-linux-deps-${i}` });
    const run = repo.addRun({ jobs: JOBS });
    const target = targetOf(run);
    const observation = await executor.observe('clear-caches', target, { keyPrefix: 'npm-linux-deps-' });
    expect(observation).toMatchObject({ cachesTruncated: true });
    expect(observation.caches).toHaveLength(MAX_CACHES_TO_CLEAR);
    // One page, not the five that list all 450.
    expect(github.apiRequests({ path: '/repos/acme/unit-broad-caches/actions/caches' })).toHaveLength(1);
    const verdict = checkPreconditions({ action: 'clear-caches', target, observation, params: { keyPrefix: 'npm-linux-deps-' }, now: new Date(), waitUntil: new Date() });
    expect(verdict).toEqual({
      verdict: 'refuse',
      reasons: [`the key prefix 'npm-linux-deps-' matches more than ${MAX_CACHES_TO_CLEAR} caches; more than ${MAX_CACHES_TO_CLEAR} is too broad to clear automatically`],
    });
  });

  it('cancels a run in progress, and reports false when it had already finished', async () => {
    const run = github.repo('acme/unit-cancel').addRun({ jobs: JOBS, onRerun: { conclusion: 'success', afterPolls: 1000 } });
    const target = targetOf(run);
    await executor.execute('rerun-failed-jobs', target, await executor.observe('rerun-failed-jobs', target));
    expect(await executor.cancel(target)).toBe(true);
    expect(run.latest.conclusion).toBe('cancelled');
    expect(await executor.cancel(target)).toBe(false);
  });

  it('classifies GitHub failures: refusals, gone, and the rest transient', async () => {
    const run = github.repo('acme/unit-errors').addRun({ jobs: JOBS });
    const target = targetOf(run);
    github.inject({ kind: 'status', status: 502, method: 'POST' });
    const error5xx = await executor.execute('rerun-failed-jobs', target, await executor.observe('rerun-failed-jobs', target)).catch((error: unknown) => error);
    expect(error5xx).toBeInstanceOf(GitHubApiError);
    expect(classifyGitHubFailure(error5xx)).toBe('transient');
    expect(run.reruns).toHaveLength(0);
    const missing = await executor.observe('rerun-failed-jobs', { ...target, runId: 999_999_999 }).catch((error: unknown) => error);
    expect(classifyGitHubFailure(missing)).toBe('not-found');
    github.inject({ kind: 'status', status: 403, method: 'POST', message: 'Resource not accessible by integration' });
    const refused = await executor.execute('rerun-failed-jobs', target, await executor.observe('rerun-failed-jobs', target)).catch((error: unknown) => error);
    expect(classifyGitHubFailure(refused)).toBe('refused');
    github.inject({ kind: 'secondary-rate-limit', status: 429, retryAfterSeconds: 3600, method: 'POST' });
    const limited = await executor.execute('rerun-failed-jobs', target, await executor.observe('rerun-failed-jobs', target)).catch((error: unknown) => error);
    expect(classifyGitHubFailure(limited)).toBe('transient');
    expect(run.reruns).toHaveLength(0);
  });
});
