import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
let dir: string;

// The installed command, as a user runs it: bin/ci-remediator.js over the esbuild bundle in dist/.
async function ciRemediator(args: string[], nodeFlags: string[] = []) {
  return run(process.execPath, [...nodeFlags, 'bin/ci-remediator.js', ...args], { maxBuffer: 16 << 20 });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ci-remediator-bin-'));
  await run(process.execPath, ['scripts/build-cli.mjs']);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the ci-remediator command', () => {
  it('analyzes a log from the bundle, without colour when piped', async () => {
    const { stdout } = await ciRemediator(['analyze', 'examples/logs/gha-npm-network-error.log']);
    expect(stdout).toContain('network_error');
    expect(stdout).toContain('rerun-failed-jobs');
    expect(stdout).not.toContain('\u001b[');
  });

  it("prints package.json's version with --version", async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const { stdout } = await ciRemediator(['--version']);
    expect(stdout).toBe(`ci-remediator ${version}\n`);
  });

  it('streams a 2 GB log in bounded memory and finds the failure at its end', async () => {
    // A sparse file: 2 GiB of NUL bytes (one enormous line), then the real failure on lines 2-3.
    const path = join(dir, 'huge.log');
    const file = await open(path, 'w');
    await file.truncate(2 * 1024 ** 3);
    await file.write('\nnpm error code ETIMEDOUT\nnpm error network request to https://registry.npmjs.org/left-pad failed\n', 2 * 1024 ** 3);
    await file.close();
    // A 64 MB heap: if memory grew with the log, this process would die of it.
    const { stdout } = await ciRemediator(['analyze', '--json', path], ['--max-old-space-size=64']);
    const result = JSON.parse(stdout) as { category: string; keyLine: { line: number; text: string } };
    expect(result.category).toBe('network_error');
    expect(result.keyLine).toEqual({ line: 2, text: 'npm error code ETIMEDOUT' });
  }, 120_000);

  it('runs the operator command from the same binary, which hands it in from its own bundle', async () => {
    const { stdout } = await ciRemediator(['operator', '--help']);
    expect(stdout).toContain('Usage: ci-remediator operator [options]');
  });
});
