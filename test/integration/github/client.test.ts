import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { createGitHubClient, GitHubApiError } from '../../../src/github/client.ts';
import { FAST_TIMING as fast, localGitHubPerTest, TEST_TOKEN as TOKEN } from '../../support/local-github.ts';

const REPO = 'acme/app';
const setup = localGitHubPerTest();

describe('GitHub client against the local GitHub API', () => {
  it('lists every job of a run with more than 100 jobs, one request per page of 100', async () => {
    const { gh, client } = await setup();
    const jobs = Array.from({ length: 250 }, (_, i) => ({ name: `shard-${i}`, conclusion: i === 7 ? ('failure' as const) : ('success' as const) }));
    const run = gh.repo(REPO).addRun({ jobs });

    const listed = await client.listRunJobs(REPO, run.id, 1);

    expect(listed).toHaveLength(250);
    expect(new Set(listed.map((job) => job.id)).size).toBe(250);
    expect(listed.filter((job) => job.conclusion === 'failure').map((job) => job.name)).toEqual(['shard-7']);
    expect(typeof listed[0]!.id).toBe('number');
    expect(client.requestCount).toBe(3);
    expect(gh.apiRequests().map((request) => new URL(request.url, 'http://x').searchParams.get('per_page'))).toEqual(['100', '100', '100']);
  });

  it('re-runs failed jobs: GitHub creates attempt 2, which completes as scripted and is polled with ETags', async () => {
    const { gh, client } = await setup();
    const run = gh.repo(REPO).addRun({
      jobs: [{ name: 'build' }, { name: 'test', conclusion: 'failure' }],
      onRerun: { conclusion: 'success', afterPolls: 2 },
    });

    await client.rerunFailedJobs(REPO, run.id);
    const queued = await client.listRunJobs(REPO, run.id, 2);
    expect(queued.map((job) => [job.name, job.run_attempt, job.status])).toEqual([
      ['build', 1, 'completed'],
      ['test', 2, 'queued'],
    ]);

    const first = await client.getRunAttempt(REPO, run.id, 2);
    expect(first).toMatchObject({ notModified: false, run: { run_attempt: 2, status: 'in_progress', conclusion: null } });
    const second = await client.getRunAttempt(REPO, run.id, 2, { etag: first.etag! });
    expect(second).toMatchObject({ notModified: false, run: { status: 'completed', conclusion: 'success' } });
    const third = await client.getRunAttempt(REPO, run.id, 2, { etag: second.etag! });
    expect(third).toEqual({ notModified: true, etag: second.etag });
    expect(gh.apiRequests({ path: `/repos/${REPO}/actions/runs/${run.id}/attempts/2` }).map((request) => request.status)).toEqual([200, 200, 304]);
    expect((await client.getRun(REPO, run.id)).run_attempt).toBe(2);
    expect(client.requestCount).toBe(6);
  });

  it('passes on GitHub refusing a re-run of a run that is still in progress, naming route and status', async () => {
    const { gh, client } = await setup();
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test', conclusion: 'failure' }], onRerun: { conclusion: 'success', afterPolls: 5 } });
    await client.rerunWorkflow(REPO, run.id);

    const refused = await client.rerunFailedJobs(REPO, run.id).catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(GitHubApiError);
    expect(refused).toMatchObject({ status: 403, route: 'POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs' });
    expect((refused as Error).message).toContain(`POST /repos/${REPO}/actions/runs/${run.id}/rerun-failed-jobs answered 403: This workflow is already running`);
    expect(run.attempts).toHaveLength(2);

    await client.cancelRun(REPO, run.id);
    expect(run.latest).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
  });

  it('a 404 is a GitHubApiError naming the route, the status and the request id, never the token', async () => {
    const { client } = await setup();
    const error = (await client.getRun(REPO, 424242).catch((e: unknown) => e)) as GitHubApiError;
    expect(error).toBeInstanceOf(GitHubApiError);
    expect(error.status).toBe(404);
    expect(error.message).toMatch(new RegExp(`^GitHub API GET /repos/${REPO}/actions/runs/424242 answered 404: Not Found \\(request id [0-9A-F:]+\\)$`));
    expect(JSON.stringify(error)).not.toContain(TOKEN);
    expect(String(error.stack)).not.toContain(TOKEN);
    expect(client.requestCount).toBe(1);
  });

  it('lists caches by key prefix over several pages and deletes them idempotently', async () => {
    const { gh, client } = await setup();
    const repo = gh.repo(REPO);
    for (let i = 0; i < 130; i++) repo.addCache({ key: `node-modules-${i}`, ref: 'refs/heads/main' });
    repo.addCache({ key: 'gradle-1', ref: 'refs/heads/main' });
    repo.addCache({ key: 'node-modules-pr', ref: 'refs/pull/4/merge' });

    const caches = await client.listCaches(REPO, { keyPrefix: 'node-modules-', ref: 'refs/heads/main' });
    expect(caches).toHaveLength(130);
    expect(client.requestCount).toBe(2);

    expect(await client.deleteCache(REPO, caches[0]!.id!)).toBe(true);
    expect(await client.deleteCache(REPO, caches[0]!.id!)).toBe(false);
    expect(repo.caches).toHaveLength(131);
  });

  it('stops listing caches at a limit: no page past it is requested', async () => {
    const { gh, client } = await setup();
    const repo = gh.repo(REPO);
    for (let i = 0; i < 350; i++) repo.addCache({ key: `node-modules-${i}` });

    const caches = await client.listCaches(REPO, { keyPrefix: 'node-modules-', limit: 51 });
    expect(caches.map((cache) => cache.key)).toEqual(Array.from({ length: 51 }, (_, i) => `node-modules-${i}`));
    expect(gh.apiRequests({ path: `/repos/${REPO}/actions/caches` })).toHaveLength(1);

    // A limit past the first page reads only the pages it needs.
    expect(await client.listCaches(REPO, { keyPrefix: 'node-modules-', limit: 150 })).toHaveLength(150);
    expect(gh.apiRequests({ path: `/repos/${REPO}/actions/caches` })).toHaveLength(3);
    await expect(client.listCaches(REPO, { keyPrefix: 'node-modules-', limit: 0 })).rejects.toThrow(/Invalid limit 0/);
  });

  it('lists changed files up to a limit without fetching further pages', async () => {
    const { gh, client } = await setup();
    const files = Array.from({ length: 250 }, (_, i) => `src/module-${i}.ts`);
    gh.repo(REPO).setPullFiles(12, files).setCommitFiles('a'.repeat(40), files.slice(0, 3));

    const bounded = await client.listChangedFiles(REPO, { pullNumber: 12 }, { limit: 120 });
    expect(bounded).toEqual({ files: files.slice(0, 120), complete: false });
    expect(client.requestCount).toBe(2);

    expect(await client.listChangedFiles(REPO, { pullNumber: 12 }, { limit: 1000 })).toEqual({ files, complete: true });
    expect(await client.listChangedFiles(REPO, { sha: 'a'.repeat(40) }, { limit: 50 })).toEqual({ files: files.slice(0, 3), complete: true });
    expect(await client.listChangedFiles(REPO, { pullNumber: 12 }, { limit: 250 })).toEqual({ files, complete: true });
  });

  it('reads a branch head, branch names with a slash included', async () => {
    const { gh, client } = await setup();
    gh.repo(REPO).setBranch('release/1.x', 'b'.repeat(40));
    expect(await client.getBranchHead(REPO, 'release/1.x')).toBe('b'.repeat(40));
    await expect(client.getBranchHead(REPO, 'gone')).rejects.toMatchObject({ status: 404 });
  });

  it('talks to a GitHub Enterprise Server base URL with its /api/v3 prefix', async () => {
    const { gh, client } = await setup({ server: { pathPrefix: '/api/v3' }, client: (server) => ({ baseUrl: `${server.url}/` }) });
    expect(gh.url).toMatch(/\/api\/v3$/);
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test', conclusion: 'failure', log: 'boom\n' }] });

    expect((await client.getRun(REPO, run.id)).id).toBe(run.id);
    const log = await client.downloadJobLog(REPO, run.job('test').id, { maxBytes: 1000 });
    const chunks: Buffer[] = [];
    for await (const chunk of log) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('boom\n');
    expect(gh.requests.filter((request) => request.origin === 'api').every((request) => request.url.startsWith('/api/v3/'))).toBe(true);
  });

  it('authenticates as a GitHub App installation: a JWT signed with the App key buys an installation token', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const { gh, client } = await setup({ server: { apps: [{ appId: 4242, publicKey, installations: [77] }] }, client: { auth: { appId: 4242, privateKey, installationId: 77 } } });
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test' }] });

    expect((await client.getRun(REPO, run.id)).id).toBe(run.id);
    expect((await client.listRunJobs(REPO, run.id)).map((job) => job.name)).toEqual(['test']);

    expect(gh.issuedTokens).toHaveLength(1);
    const [exchange, ...calls] = gh.requests;
    expect(exchange).toMatchObject({ method: 'POST', path: '/app/installations/77/access_tokens', status: 201 });
    expect(calls.map((request) => request.headers.authorization)).toEqual([`token ${gh.issuedTokens[0]}`, `token ${gh.issuedTokens[0]}`]);
    expect(client.requestCount).toBe(3);

    const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const impostor = createGitHubClient({ baseUrl: gh.url, auth: { appId: 4242, privateKey: otherKey, installationId: 77 }, timing: fast, maxRetries: 0 });
    await expect(impostor.getRun(REPO, run.id)).rejects.toMatchObject({ status: 401 });
  });

  it('refuses a repository that is not owner/name before sending anything', async () => {
    const { client } = await setup();
    await expect(client.getRun('acme', 1)).rejects.toThrow("Invalid repository 'acme'. Expected {owner}/{name}");
    expect(client.requestCount).toBe(0);
  });
});
