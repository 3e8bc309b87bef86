import { describe, expect, it } from '@jest/globals';
import { createGitHubClient, GitHubApiError, GitHubRateLimitError, type GitHubClientOptions } from '../../../src/github/client.ts';
import { startGitHubServer } from '../../support/github-server.ts';
import { localGitHubPerTest, TEST_TOKEN as TOKEN } from '../../support/local-github.ts';

const REPO = 'acme/app';
const localGitHub = localGitHubPerTest();

async function setup(options: Partial<GitHubClientOptions> = {}) {
  const warnings: string[] = [];
  // GitHub's own rate-limit waits (whole seconds) are kept: these tests prove the client waits them out.
  const { gh, client } = await localGitHub({
    client: { log: { warn: (message) => warnings.push(message), debug: () => {} }, timing: { retryBaseDelayMs: 5, writeSpacingMs: 0 }, ...options },
  });
  const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test', conclusion: 'failure' }] });
  return { gh, client, run, warnings };
}

describe('rate limits and retries', () => {
  it('waits for x-ratelimit-reset after a primary rate limit 403, then succeeds', async () => {
    const { gh, client, run, warnings } = await setup();
    const fault = gh.inject({ kind: 'rate-limit', resetInSeconds: 1, path: `/repos/${REPO}/actions/runs/${run.id}` });

    const started = Date.now();
    const got = await client.getRun(REPO, run.id);
    const waited = Date.now() - started;

    expect(got.id).toBe(run.id);
    expect(fault.hits).toBe(1);
    // plugin-throttling waits until one second after the reset GitHub announced (reset is whole seconds).
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(gh.apiRequests().map((request) => request.status)).toEqual([403, 200]);
    expect(client.requestCount).toBe(2);
    expect(warnings.join('\n')).toMatch(/rate limit hit on GET .*; retrying in \d s/);
  });

  it('fails at once with the reset time when the wait would exceed maxRateLimitWaitSeconds', async () => {
    const { gh, client, run } = await setup({ maxRateLimitWaitSeconds: 30 });
    gh.inject({ kind: 'rate-limit', resetInSeconds: 3600 });

    const started = Date.now();
    const error = (await client.getRun(REPO, run.id).catch((e: unknown) => e)) as GitHubRateLimitError;

    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(GitHubRateLimitError);
    expect(error.kind).toBe('primary');
    expect(error.resetAt.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    expect(error.message).toContain(`GitHub API GET /repos/${REPO}/actions/runs/${run.id} answered 403: rate limit exceeded; GitHub accepts requests again at ${error.resetAt.toISOString()}`);
    expect(client.requestCount).toBe(1);
  });

  it('honours retry-after on a 429 secondary rate limit', async () => {
    const { gh, client, run } = await setup();
    gh.inject({ kind: 'secondary-rate-limit', status: 429, retryAfterSeconds: 1 });

    const started = Date.now();
    const jobs = await client.listRunJobs(REPO, run.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(jobs).toHaveLength(1);
    expect(gh.apiRequests().map((request) => request.status)).toEqual([429, 200]);
  });

  it('retries a POST refused by a secondary rate limit: GitHub did nothing, so the re-run happens once', async () => {
    const { gh, client, run } = await setup({ timing: { retryBaseDelayMs: 5, rateLimitDelayUnitMs: 5, writeSpacingMs: 0 } });
    gh.inject({ kind: 'secondary-rate-limit', status: 403, retryAfterSeconds: 2, method: 'POST' });
    await client.rerunFailedJobs(REPO, run.id);
    expect(run.reruns).toHaveLength(1);
    expect(gh.apiRequests({ method: 'POST' }).map((request) => request.status)).toEqual([403, 201]);
  });

  it('retries 5xx and network failures on reads, then succeeds', async () => {
    const { gh, client, run } = await setup();
    gh.inject({ kind: 'status', status: 502, times: 2 });
    gh.inject({ kind: 'network' });
    expect((await client.getRun(REPO, run.id)).id).toBe(run.id);
    expect(client.requestCount).toBe(4);
  });

  it('gives up after maxRetries with an error naming the route and the last status', async () => {
    const { gh, client, run } = await setup({ maxRetries: 2 });
    gh.inject({ kind: 'status', status: 503, times: 10 });
    const error = (await client.getRun(REPO, run.id).catch((e: unknown) => e)) as GitHubApiError;
    expect(error).toBeInstanceOf(GitHubApiError);
    expect(error.message).toMatch(new RegExp(`^GitHub API GET /repos/${REPO}/actions/runs/${run.id} answered 503: Service Unavailable`));
    expect(client.requestCount).toBe(3);
  });

  it('does not repeat a re-run after a 5xx: GitHub may have started it already', async () => {
    const { gh, client, run } = await setup();
    gh.inject({ kind: 'status', status: 502, method: 'POST' });
    await expect(client.rerunFailedJobs(REPO, run.id)).rejects.toMatchObject({ status: 502 });
    expect(gh.apiRequests({ method: 'POST' })).toHaveLength(1);
  });

  it('an unreachable GitHub is status 0 with the cause, after the retries', async () => {
    const gh = await startGitHubServer();
    const url = gh.url;
    await gh.close();
    const client = createGitHubClient({ baseUrl: url, auth: { token: TOKEN }, maxRetries: 1, timing: { retryBaseDelayMs: 5 } });
    const error = (await client.getRun(REPO, 1).catch((e: unknown) => e)) as GitHubApiError;
    expect(error).toBeInstanceOf(GitHubApiError);
    expect(error.status).toBe(0);
    expect(error.message).toMatch(/^GitHub API GET \/repos\/acme\/app\/actions\/runs\/1 failed without a response: /);
    expect(client.requestCount).toBe(2);
  });
});
