// The local GitHub's own behaviour that other suites rely on: GitHub's refusals, holds, authentication.
import { describe, expect, it } from '@jest/globals';
import { createGitHubClient, GitHubApiError } from '../../../src/github/client.ts';
import { localGitHubPerTest } from '../../support/local-github.ts';

const REPO = 'acme/app';
const setup = localGitHubPerTest();

describe('local GitHub API server', () => {
  it('holds a re-run while GitHub "processes" it: the attempt exists even if the caller never hears back', async () => {
    const { gh, client } = await setup();
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test', conclusion: 'failure' }] });
    const hold = gh.inject({ kind: 'hold', method: 'POST', path: /\/rerun-failed-jobs$/ });

    const call = createGitHubClient({ baseUrl: gh.url, auth: { token: 'ghs_test' } })
      .rerunFailedJobs(REPO, run.id)
      .catch((error: unknown) => error);
    await hold.reached;
    expect(run.attempts).toHaveLength(2); // done on arrival; only the answer waits
    hold.release();
    expect(await call).toBeUndefined();

    // A second call finds the attempt running and is refused the way GitHub refuses it.
    await expect(client.rerunFailedJobs(REPO, run.id)).rejects.toMatchObject({ status: 403, githubMessage: 'This workflow is already running' });
    expect((await client.getRun(REPO, run.id)).run_attempt).toBe(2);
  });

  it("with applyEffect 'on-release' nothing happens until the release", async () => {
    const { gh, client } = await setup();
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test', conclusion: 'failure' }] });
    let release!: () => void;
    gh.inject({ kind: 'hold', method: 'POST', applyEffect: 'on-release', until: new Promise<void>((resolve) => (release = resolve)) });
    const call = client.rerunWorkflow(REPO, run.id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(run.attempts).toHaveLength(1);
    release();
    await call;
    expect(run.attempts).toHaveLength(2);
    expect(run.reruns.map((rerun) => rerun.kind)).toEqual(['rerun']);
  });

  it('refuses re-runs past the attempt limit and of runs older than 30 days; cancel of a finished run is 409', async () => {
    const { gh, client } = await setup({ server: { maxAttempts: 2 } });
    const repo = gh.repo(REPO);
    const run = repo.addRun({ jobs: [{ name: 'test', conclusion: 'failure' }], onRerun: { conclusion: 'failure', afterPolls: 0 } });
    await client.rerunFailedJobs(REPO, run.id);
    await expect(client.rerunFailedJobs(REPO, run.id)).rejects.toThrow(/answered 403: This workflow run has reached the maximum of 2 attempts/);
    await expect(client.cancelRun(REPO, run.id)).rejects.toMatchObject({ status: 409 });

    const old = repo.addRun({ jobs: [{ name: 'test', conclusion: 'failure' }], createdAt: new Date(Date.now() - 31 * 86_400_000) });
    await expect(client.rerunWorkflow(REPO, old.id)).rejects.toThrow(/created over a month ago/);
    const green = repo.addRun({ jobs: [{ name: 'test' }] });
    await expect(client.rerunFailedJobs(REPO, green.id)).rejects.toMatchObject({ status: 403 });
  });

  it('scripts successive re-runs and per-job conclusions; a full re-run gives every job a new id', async () => {
    const { gh, client } = await setup();
    const run = gh.repo(REPO).addRun({
      jobs: [{ name: 'lint' }, { name: 'unit', conclusion: 'failure' }, { name: 'e2e', conclusion: 'failure' }],
      onRerun: [
        { conclusion: 'failure', afterPolls: 1, jobConclusions: { unit: 'success' }, logs: { e2e: 'still broken\n' } },
        { conclusion: 'success', afterPolls: 1 },
      ],
    });
    await client.rerunFailedJobs(REPO, run.id);
    expect((await client.getRun(REPO, run.id)).conclusion).toBe('failure');
    const second = await client.listRunJobs(REPO, run.id);
    expect(second.map((job) => [job.name, job.run_attempt, job.conclusion])).toEqual([
      ['lint', 1, 'success'],
      ['unit', 2, 'success'],
      ['e2e', 2, 'failure'],
    ]);
    const log = await client.downloadJobLog(REPO, run.job('e2e').id, { maxBytes: 100 });
    const chunks: Buffer[] = [];
    for await (const chunk of log) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('still broken\n');

    await client.rerunWorkflow(REPO, run.id);
    expect((await client.getRunAttempt(REPO, run.id, 3)).run).toMatchObject({ status: 'completed', conclusion: 'success' });
    const third = await client.listRunJobs(REPO, run.id, 3);
    expect(third.every((job) => job.run_attempt === 3)).toBe(true);
    expect(third.map((job) => job.id).some((id) => second.some((job) => job.id === id))).toBe(false);
  });

  it('answers 401 without a token, or with an unknown one when tokens are listed', async () => {
    const { gh } = await setup({ server: { tokens: ['ghs_good'] } });
    gh.repo(REPO).addRun({ jobs: [{ name: 'test' }] });
    const response = await fetch(`${gh.url}/repos/${REPO}`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ message: 'Requires authentication' });
    const bad = createGitHubClient({ baseUrl: gh.url, auth: { token: 'ghs_bad' } });
    const error = (await bad.getBranchHead(REPO, 'main').catch((e: unknown) => e)) as GitHubApiError;
    expect(error).toMatchObject({ status: 401, githubMessage: 'Bad credentials' });
    expect(error.message).not.toContain('ghs_bad');
  });

  it('serves the recorded repository and GitHub headers from @octokit/fixtures', async () => {
    const { gh } = await setup();
    gh.repo(REPO);
    const response = await fetch(`${gh.url}/repos/${REPO}`, { headers: { authorization: 'token x' } });
    const body = (await response.json()) as { full_name: string; owner: { login: string }; url: string };
    expect(body.full_name).toBe(REPO);
    expect(body.owner.login).toBe('acme');
    expect(body.url).toBe(`${gh.url}/repos/${REPO}`);
    expect(response.headers.get('x-github-media-type')).toBe('github.v3; format=json');
    expect(response.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
  });
});
