import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { ACTION } from '../support/action-runner.ts';
import { REPO_ROOT } from '../support/cluster-setup.ts';
import { createNamespace, getObject, kube, RECORDS, sharedKubeconfig } from '../support/kube.ts';

// docs/action.md's "Try it without GitHub": `npm run github:local` (the local GitHub server, seeded with a
// failed run) and the committed bundle run on the env file it writes, as the page shows, dry run first, then
// into the real control plane.

const SCRIPT = join(REPO_ROOT, 'scripts', 'github-local.ts');

interface Ran {
  code: number | null;
  stdout: string;
}

function runAction(envFile: string, extra: Record<string, string> = {}): Promise<Ran> {
  // Only PATH and HOME from this process: every run variable must come from the file.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...extra };
  const child = spawn(process.execPath, [`--env-file=${envFile}`, ACTION], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout })));
}

describe('npm run github:local', () => {
  let dir: string;
  let server: ChildProcess;
  let banner: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ci-remediator-github-local-'));
    server = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', SCRIPT], {
      cwd: REPO_ROOT,
      env: { ...process.env, GITHUB_LOCAL_DIR: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    banner = [];
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: server.stdout! }).on('line', (line) => {
        banner.push(line);
        if (line.includes('ready')) resolve();
      });
      server.once('exit', (code) => reject(new Error(`github:local exited (${code}): ${banner.join('\n')}`)));
    });
  });
  afterAll(async () => {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the action on the seeded failed run: the FailureRecord as YAML and the job summary, nothing created', async () => {
    expect(banner.join('\n')).toContain(`node --env-file=${join(dir, 'action.env').replace(`${REPO_ROOT}/`, '')} action/dist/index.js`);
    const ran = await runAction(join(dir, 'action.env'));
    expect(ran.code).toBe(0);
    expect(ran.stdout).not.toContain('::warning::');
    const printed = ran.stdout.split('Dry run: this FailureRecord would be created:\n')[1]?.split('\nci-remediator: dry-run')[0];
    const record = parse(printed ?? '') as { kind: string; spec: { repository: string; failedJobs: Array<{ name: string; failedStep: string; excerpt: string }> } };
    expect(record.kind).toBe('FailureRecord');
    expect(record.spec.repository).toBe('acme/web');
    expect(record.spec.failedJobs.map((job) => [job.name, job.failedStep])).toEqual([['build', 'Build image']]);
    expect(record.spec.failedJobs[0]!.excerpt).toContain('429 Too Many Requests');
    const summary = readFileSync(join(dir, 'summary.html'), 'utf8');
    expect(summary).toContain('<h2>CI failure report</h2>');
    expect(summary).toContain('<strong>network_error</strong>');
    expect(summary).toContain('was built but not created');
  });

  it('creates the record in a cluster when dry run is turned off', async () => {
    const k = kube();
    const namespace = await createNamespace(k, 'github-local');
    const ran = await runAction(join(dir, 'action.env'), { 'INPUT_DRY-RUN': 'false', INPUT_KUBECONFIG: sharedKubeconfig(), INPUT_NAMESPACE: namespace });
    expect(ran.code).toBe(0);
    const name = /FailureRecord [^/\s]+\/(\S+) created\./.exec(ran.stdout)?.[1];
    expect(name).toBeDefined();
    const object = await getObject(k, RECORDS, namespace, name!);
    expect(object.spec?.repository).toBe('acme/web');
  });
});
