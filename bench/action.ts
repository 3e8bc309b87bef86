// The reporting action as a runner runs it (`node action/dist/index.js`, inputs and run as environment
// variables) against the local GitHub API server, which serves logs instantly, and a local ingest endpoint that
// accepts every record (mode endpoint; no cluster needed). Per scenario: GitHub API calls against the budget
// (2 + one per failed job), the process's wall time, the action's own phase times, and the wall time without
// the log phase (download + analysis). Then the bundle's size. Prints; asserts nothing.
// Usage: npm run bench:action [-- --runs 5]   (rebuild first: npm run action:build)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from '../test/support/cluster-setup.ts';
import { startGitHubServer, type JobSpec } from '../test/support/github-server.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Math.max(1, Number(values.runs));
const ACTION = join(REPO_ROOT, 'action', 'dist', 'index.js');
const TOKEN = `ghs_${randomBytes(12).toString('hex')}`;
const work = mkdtempSync(join(tmpdir(), 'bench-action-'));

/** A realistic failing job log: ~2 000 lines of build output, then an npm network error. */
function jobLog(seed: number): string {
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) lines.push(`2024-05-01T12:00:${String(i % 60).padStart(2, '0')}.0000000Z [${seed}] compiling src/module-${i}.ts ok`);
  lines.push('2024-05-01T12:01:00.0000000Z npm error code ECONNRESET', '2024-05-01T12:01:00.0000000Z npm error network aborted');
  lines.push('2024-05-01T12:01:00.0000000Z ##[error]Process completed with exit code 1.');
  return `${lines.join('\n')}\n`;
}

// An ingest endpoint that accepts everything: delivery costs one local round trip.
const ingest = createServer((request, response) => {
  request.resume();
  request.on('end', () => response.writeHead(201, { 'content-type': 'application/json' }).end('{"name":"bench","namespace":"bench","created":true}'));
});
await new Promise<void>((resolve) => ingest.listen(0, '127.0.0.1', resolve));
const ingestUrl = `http://127.0.0.1:${(ingest.address() as AddressInfo).port}`;
const github = await startGitHubServer({ tokens: [TOKEN] });

interface Sample {
  wallMs: number;
  actionMs: number;
  logsMs: number;
  apiCalls: number;
}

async function once(repository: string, runId: number, headSha: string): Promise<Sample> {
  const before = github.apiRequests({ path: new RegExp(`^/repos/${repository}/`) }).length;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    GITHUB_OUTPUT: join(work, 'output'),
    GITHUB_STEP_SUMMARY: join(work, 'summary'),
    GITHUB_REPOSITORY: repository,
    GITHUB_RUN_ID: String(runId),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'report',
    GITHUB_SHA: headSha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_WORKFLOW: 'CI',
    GITHUB_WORKFLOW_REF: `${repository}/.github/workflows/ci.yml@refs/heads/main`,
    GITHUB_API_URL: github.url,
    'INPUT_GITHUB-TOKEN': TOKEN,
    INPUT_MODE: 'endpoint',
    INPUT_ENDPOINT: ingestUrl,
    'INPUT_SIGNING-SECRET': 'bench-secret-0123456789abcdef',
  };
  writeFileSync(env.GITHUB_OUTPUT!, '');
  writeFileSync(env.GITHUB_STEP_SUMMARY!, '');
  const start = performance.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    let out = '';
    const child = spawn(process.execPath, [ACTION], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
  const wallMs = performance.now() - start;
  const done = /ci-remediator: (\w[\w-]*) in (\d+) ms \(logs (\d+) ms/.exec(stdout);
  if (!done || done[1] !== 'created') throw new Error(`the action did not report: ${stdout.slice(-2000)}`);
  return {
    wallMs,
    actionMs: Number(done[2]),
    logsMs: Number(done[3]),
    apiCalls: github.apiRequests({ path: new RegExp(`^/repos/${repository}/`) }).length - before,
  };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const scenarios = [
  { name: '1 failed of 10 jobs', jobs: 10, failed: 1 },
  { name: '3 failed of 20 jobs', jobs: 20, failed: 3 },
  { name: '3 failed of 120 jobs', jobs: 120, failed: 3 },
  { name: '10 failed of 250 jobs', jobs: 250, failed: 10 },
];

console.log(`node action/dist/index.js, mode endpoint, logs served instantly (node ${process.version}, ${RUNS} runs per scenario after 1 warm-up)`);
console.log('scenario                 API calls  budget  wall (median)  action  logs phase  wall without logs');
for (const [index, scenario] of scenarios.entries()) {
  const repository = `bench/repo-${index}`;
  const jobs: JobSpec[] = [];
  for (let i = 0; i < scenario.jobs - 1; i++) {
    const failed = i % Math.floor((scenario.jobs - 1) / scenario.failed) === 0 && jobs.filter((job) => job.conclusion === 'failure').length < scenario.failed;
    jobs.push({ name: `job ${i}`, conclusion: failed ? 'failure' : 'success', log: failed ? jobLog(i) : 'ok\n' });
  }
  jobs.push({ name: 'report', status: 'in_progress' });
  const run = github.repo(repository).addRun({ jobs });
  github.repo(repository).setCommitFiles(run.headSha, ['src/a.ts']);
  await once(repository, run.id, run.headSha);
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await once(repository, run.id, run.headSha));
  const calls = samples[0]!.apiCalls;
  const wall = median(samples.map((s) => s.wallMs));
  const logs = median(samples.map((s) => s.logsMs));
  console.log(
    `${scenario.name.padEnd(24)} ${String(calls).padStart(9)}  ${String(2 + scenario.failed).padStart(6)}  ${`${wall.toFixed(0)} ms`.padStart(13)}  ` +
      `${`${median(samples.map((s) => s.actionMs))} ms`.padStart(6)}  ${`${logs} ms`.padStart(10)}  ${`${(wall - logs).toFixed(0)} ms`.padStart(17)}`,
  );
}
console.log('(target: API calls <= budget; wall time without the log phase < 1500 ms)');

const bundle = readFileSync(ACTION);
console.log(
  `bundle action/dist/index.js: ${(statSync(ACTION).size / 1024 / 1024).toFixed(2)} MiB (${(gzipSync(bundle).length / 1024).toFixed(0)} KiB gzipped); ` +
    `LICENSES.txt ${(statSync(join(REPO_ROOT, 'action', 'dist', 'LICENSES.txt')).size / 1024).toFixed(0)} KiB`,
);
await github.close();
ingest.close();
