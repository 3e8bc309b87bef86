import { describe, expect, it } from '@jest/globals';
import { GitHubLogDownloadError, type JobLogStream } from '../../../src/github/client.ts';
import { localGitHubPerTest, TEST_TOKEN as TOKEN } from '../../support/local-github.ts';

const REPO = 'acme/app';
const setup = localGitHubPerTest();

async function readAll(stream: JobLogStream): Promise<{ text: string; chunks: number }> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { text: Buffer.concat(chunks).toString('utf8'), chunks: chunks.length };
}

function logLines(count: number): string {
  return Array.from({ length: count }, (_, i) => `2024-05-01T10:00:00.0000000Z line ${i} ${'x'.repeat(40)}\n`).join('');
}

describe('job log download', () => {
  it('follows the redirect to the log host without the Authorization header and streams the whole log', async () => {
    const { gh, client } = await setup();
    const log = `${logLines(200)}##[error]Process completed with exit code 1.\n`;
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test', conclusion: 'failure', log }] });

    const stream = await client.downloadJobLog(REPO, run.job('test').id, { maxBytes: 1_000_000 });
    const { text } = await readAll(stream);

    expect(text).toBe(log);
    expect(stream).toMatchObject({ complete: true, truncated: false, bytesRead: Buffer.byteLength(log), contentLength: Buffer.byteLength(log) });
    const [redirect, blob] = gh.requests;
    expect(redirect).toMatchObject({ origin: 'api', status: 302 });
    expect(redirect!.headers.authorization).toBe(`token ${TOKEN}`);
    expect(blob).toMatchObject({ origin: 'logs', status: 200 });
    expect(blob!.headers.authorization).toBeUndefined();
    expect(new URL(gh.logsOrigin).origin).not.toBe(new URL(gh.url).origin);
    expect(client.requestCount).toBe(1);
  });

  it('stops reading at maxBytes and says the log was truncated', async () => {
    const { gh, client } = await setup();
    const log = logLines(5000); // ~350 KB
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test', conclusion: 'failure', log }] });

    const stream = await client.downloadJobLog(REPO, run.job('test').id, { maxBytes: 10_000 });
    const { text } = await readAll(stream);

    expect(text).toBe(log.slice(0, 10_000));
    expect(stream).toMatchObject({ truncated: true, complete: false, bytesRead: 10_000, contentLength: log.length });
  });

  it('a log of exactly maxBytes is complete, not truncated', async () => {
    const { gh, client } = await setup();
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test', conclusion: 'failure', log: 'a'.repeat(4096) }] });
    const stream = await client.downloadJobLog(REPO, run.job('test').id, { maxBytes: 4096 });
    expect((await readAll(stream)).text).toHaveLength(4096);
    expect(stream).toMatchObject({ truncated: false, complete: true });
  });

  it('streams a huge generated log chunk by chunk and cancels the rest at the cap', async () => {
    const { gh, client } = await setup();
    let produced = 0;
    const chunk = Buffer.alloc(64 * 1024, 'y');
    const run = gh.repo(REPO).addRun({
      jobs: [
        {
          name: 'test',
          conclusion: 'failure',
          log: {
            size: 512 * 1024 * 1024,
            chunks: function* () {
              for (let i = 0; i < 8192; i++) {
                produced += chunk.length;
                yield chunk;
              }
            },
          },
        },
      ],
    });
    const stream = await client.downloadJobLog(REPO, run.job('test').id, { maxBytes: 2 * 1024 * 1024 });
    const { text } = await readAll(stream);
    expect(text).toHaveLength(2 * 1024 * 1024);
    expect(stream.truncated).toBe(true);
    // The server stops producing once the client hangs up: far less than the 512 MB log left the server.
    expect(produced).toBeLessThan(64 * 1024 * 1024);
  });

  it('a download cut short (socket closed before content-length) is an error, not a shorter log', async () => {
    const { gh, client } = await setup();
    const log = logLines(2000);
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test', conclusion: 'failure', log }] });
    gh.inject({ kind: 'truncate', afterBytes: 50_000 });

    const stream = await client.downloadJobLog(REPO, run.job('test').id, { maxBytes: 10_000_000 });
    const error = (await readAll(stream).catch((e: unknown) => e)) as GitHubLogDownloadError;

    expect(error).toBeInstanceOf(GitHubLogDownloadError);
    expect(error.message).toMatch(new RegExp(`^Log download for job ${run.job('test').id} incomplete after \\d+ of ${log.length} bytes`));
    expect(error.bytesRead).toBeLessThanOrEqual(50_000);
    expect(stream.complete).toBe(false);
  });

  it('a slow log host still delivers the whole log', async () => {
    const { gh, client } = await setup();
    const log = logLines(20);
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test', conclusion: 'failure', log }] });
    gh.inject({ kind: 'slow', chunkBytes: 256, delayMs: 10 });

    const stream = await client.downloadJobLog(REPO, run.job('test').id, { maxBytes: 1_000_000 });
    const { text, chunks } = await readAll(stream);
    expect(text).toBe(log);
    expect(chunks).toBeGreaterThan(1);
  });

  it('an expired log URL and a missing job are clear errors', async () => {
    const { gh, client } = await setup();
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test', conclusion: 'failure', log: 'x' }] });
    gh.inject({ kind: 'status', status: 403, origin: 'logs', message: 'AuthenticationFailed', times: 10 });
    await expect(client.downloadJobLog(REPO, run.job('test').id, { maxBytes: 10 })).rejects.toThrow(
      /^Log download for job \d+ incomplete after 0 bytes: log host 127\.0\.0\.1:\d+ answered 403$/,
    );
    await expect(client.downloadJobLog(REPO, 999_999, { maxBytes: 10 })).rejects.toMatchObject({
      status: 404,
      route: 'GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs',
    });
  });

  it('a log host failing once is retried with a fresh redirect', async () => {
    const { gh, client } = await setup();
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test', conclusion: 'failure', log: 'the log\n' }] });
    gh.inject({ kind: 'status', status: 503, origin: 'logs' });
    gh.inject({ kind: 'network', origin: 'logs' });

    const stream = await client.downloadJobLog(REPO, run.job('test').id, { maxBytes: 100 });
    expect((await readAll(stream)).text).toBe('the log\n');
    expect(gh.requests.map((request) => `${request.origin} ${request.status}`)).toEqual(['api 302', 'logs 503', 'api 302', 'logs 0', 'api 302', 'logs 200']);
    expect(client.requestCount).toBe(3);
  });

  it('an abort signal stops a download in flight with the abort, not a download failure', async () => {
    const { gh, client } = await setup();
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'test', conclusion: 'failure', log: logLines(500) }] });
    gh.inject({ kind: 'slow', chunkBytes: 1024, delayMs: 50 });
    const controller = new AbortController();
    const stream = await client.downloadJobLog(REPO, run.job('test').id, { maxBytes: 1_000_000, signal: controller.signal });
    const reading = readAll(stream);
    setTimeout(() => controller.abort(), 100);
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(stream.complete).toBe(false);
  });
});
