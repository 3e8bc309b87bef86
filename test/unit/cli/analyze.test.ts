import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile, mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLines, runCli } from '../../support/cli.ts';

const EXAMPLES = 'examples/logs';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ci-remediator-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('ci-remediator analyze --json', () => {
  it('follows the JSON contract, one object per input file', async () => {
    const files = [`${EXAMPLES}/gha-jest-failure.log`, `${EXAMPLES}/gha-docker-rate-limit.log`];
    const run = await runCli(['analyze', '--json', ...files]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const objects = jsonLines(run.stdout);
    expect(objects.map((o) => o.file)).toEqual(files);
    for (const o of objects) {
      expect(Object.keys(o).sort()).toEqual(
        ['analyzer', 'category', 'components', 'confidence', 'effort', 'excerpts', 'file', 'fingerprint', 'gate', 'keyLine',
          'proposedRemediation', 'redactions', 'riskScore', 'rules', 'summary'].sort(),
      );
      expect(o.analyzer).toBe('rules');
      // The rules analyzer's own verdict beside the merged one; with the rules alone they agree.
      expect(o.rules).toEqual({ category: o.category, riskScore: o.riskScore, confidence: o.confidence, rule: expect.stringMatching(/^[a-z]/) });
      expect(Object.keys(o.gate as object).sort()).toEqual(['decision', 'policy', 'reasons']);
      expect(Object.keys(o.proposedRemediation as object).sort()).toEqual(['action', 'rationale']);
    }
  });

  it('explains a jest failure with the assertion, the test file, and a gate that asks a person', async () => {
    const [jest] = jsonLines((await runCli(['analyze', '--json', `${EXAMPLES}/gha-jest-failure.log`])).stdout);
    expect(jest!.category).toBe('test_failure');
    expect(jest!.components).toContain('src/cart/cart.test.ts');
    const excerptText = (jest!.excerpts as { text: string }[]).map((e) => e.text).join('\n');
    expect(excerptText).toContain('applies a percentage discount');
    expect(excerptText).toContain('Expected: 90');
    expect((jest!.proposedRemediation as { action: string }).action).toBe('notify-only');
    expect((jest!.gate as { decision: string }).decision).not.toBe('auto');
  });

  it('proposes a re-run for a registry rate limit, auto-approved by the default policy', async () => {
    const [docker] = jsonLines((await runCli(['analyze', '--json', `${EXAMPLES}/gha-docker-rate-limit.log`])).stdout);
    expect(docker!.category).toBe('network_error');
    expect((docker!.proposedRemediation as { action: string }).action).toBe('rerun-failed-jobs');
    expect((docker!.gate as { decision: string }).decision).toBe('auto');
  });

  it('never prints a secret the log leaked, and counts what it redacted', async () => {
    const path = `${EXAMPLES}/gha-jest-failure.log`;
    const leaked = (await readFile(path, 'utf8')).match(/postgres:\/\/\S+/)![0];
    for (const args of [['--json'], []]) {
      const run = await runCli(['analyze', ...args, path]);
      expect(run.stdout).not.toContain('Xk9mQ2vL7pRt');
      expect(run.stdout).not.toContain(leaked);
      expect(run.stdout).toContain('[REDACTED:connection-string]');
    }
    const [jest] = jsonLines((await runCli(['analyze', '--json', path])).stdout);
    expect(jest!.redactions).toEqual({ 'connection-string': 1 });
  });

  it('gives line numbers of the original file, CRLF and carriage-return progress lines included', async () => {
    const path = `${EXAMPLES}/travis-phpunit-failure.log`;
    const original = (await readFile(path, 'latin1')).split('\n');
    const [php] = jsonLines((await runCli(['analyze', '--json', path])).stdout);
    const keyLine = php!.keyLine as { line: number; text: string };
    expect(original[keyLine.line - 1]).toContain(keyLine.text.trim().slice(0, 30));
    for (const excerpt of php!.excerpts as { startLine: number; endLine: number; text: string }[]) {
      expect(excerpt.text.split('\n')).toHaveLength(excerpt.endLine - excerpt.startLine + 1);
    }
  });

  it('reads standard input for -', async () => {
    const log = await readFile(`${EXAMPLES}/gha-npm-network-error.log`);
    const run = await runCli(['analyze', '--json', '-'], { stdin: log });
    const [npm] = jsonLines(run.stdout);
    expect(npm!.file).toBe('-');
    expect(npm!.category).toBe('network_error');
  });
});

describe('ci-remediator analyze, for people', () => {
  it('prints category, reason, key line, excerpt with line numbers, risk, remediation and gate, without colour when piped', async () => {
    const run = await runCli(['analyze', `${EXAMPLES}/gha-go-build-error.log`]);
    expect(run.code).toBe(0);
    for (const label of ['Category', 'Reason', 'Key line', 'Risk', 'Components', 'Remediation', 'Gate', 'Excerpt']) {
      expect(run.stdout).toContain(label);
    }
    expect(run.stdout).toContain('compilation_error');
    expect(run.stdout).toContain('internal/store/postgres.go');
    expect(run.stdout).toMatch(/^> +\d+ \| /m);
    expect(run.stdout).not.toContain('\u001b[');
  });

  it('shows the key prefix clear-caches would delete by, from the cache the log says was restored', async () => {
    const key = 'node-cache-Linux-x64-npm-6c1f0e5b2a8d9c3e4f7a1b2c3d4e5f6a';
    const path = await file(
      'integrity.log',
      [
        `2024-05-01T12:00:00.0000000Z Cache restored from key: ${key}\r`,
        '2024-05-01T12:00:01.0000000Z ##[group]Run npm ci\r',
        '2024-05-01T12:00:02.0000000Z npm ERR! code EINTEGRITY\r',
        '2024-05-01T12:00:02.0000000Z npm ERR! sha512-abc integrity checksum failed when using sha512: wanted sha512-abc but got sha512-def.\r',
        '2024-05-01T12:00:02.0000000Z ##[error]Process completed with exit code 1.\r',
        '',
      ].join('\n'),
    );
    const [json] = jsonLines((await runCli(['analyze', '--json', path])).stdout);
    expect(json!.proposedRemediation).toMatchObject({ action: 'clear-caches', params: { keyPrefix: 'node-cache-Linux-x64-npm-' } });
    const text = await runCli(['analyze', path]);
    expect(text.stdout).toMatch(/caches whose key starts with node-cache-Linux-x64-npm-$/m);
  });

  it('colours its output on a terminal, and not when NO_COLOR is set', async () => {
    const tty = await runCli(['analyze', `${EXAMPLES}/gha-go-build-error.log`], { tty: true });
    expect(tty.stdout).toContain('\u001b[');
    const noColor = await runCli(['analyze', `${EXAMPLES}/gha-go-build-error.log`], { tty: true, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toContain('\u001b[');
  });
});

describe('ci-remediator analyze --policy', () => {
  it('gates under the policy the user would kubectl apply, chosen by --repo', async () => {
    const policy = await file(
      'policies.yaml',
      [
        'apiVersion: ci-remediator.dev/v1alpha1',
        'kind: RemediationPolicy',
        'metadata: {name: payments}',
        'spec:',
        '  repositories: ["acme/payments-*"]',
        '  protected: true',
        '---',
        'apiVersion: ci-remediator.dev/v1alpha1',
        'kind: RemediationPolicy',
        'metadata: {name: web}',
        'spec:',
        '  repositories: ["acme/*"]',
        '  riskThreshold: 40',
        '',
      ].join('\n'),
    );
    const log = `${EXAMPLES}/gha-docker-rate-limit.log`;
    const [payments] = jsonLines((await runCli(['analyze', '--json', '--policy', policy, '--repo', 'acme/payments-api', log])).stdout);
    expect(payments!.gate).toMatchObject({ decision: 'approval', policy: 'payments' });
    const [web] = jsonLines((await runCli(['analyze', '--json', '--policy', policy, '--repo', 'acme/web', log])).stdout);
    expect(web!.gate).toMatchObject({ decision: 'auto', policy: 'web' });
    const [other] = jsonLines((await runCli(['analyze', '--json', '--policy', policy, '--repo', 'other/web', log])).stdout);
    expect((other!.gate as { decision: string }).decision).toBe('approval');
  });

  it('refuses a malformed policy, naming the file and the field', async () => {
    const policy = await file(
      'bad-policy.yaml',
      'apiVersion: ci-remediator.dev/v1alpha1\nkind: RemediationPolicy\nmetadata: {name: bad}\nspec:\n  repositories: ["acme/*"]\n  riskThreshold: 150\n',
    );
    const run = await runCli(['analyze', '--policy', policy, `${EXAMPLES}/gha-jest-failure.log`]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(policy);
    expect(run.stderr).toContain('spec.riskThreshold');
  });

  it('asks for --repo when a policy file holds several policies', async () => {
    const policy = await file(
      'two.yaml',
      ['a', 'b'].map((name) => `apiVersion: ci-remediator.dev/v1alpha1\nkind: RemediationPolicy\nmetadata: {name: ${name}}\nspec:\n  repositories: ["acme/${name}"]\n`).join('---\n'),
    );
    const run = await runCli(['analyze', '--policy', policy, `${EXAMPLES}/gha-jest-failure.log`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--repo');
  });
});

describe('ci-remediator analyze on bad input', () => {
  it('reports a missing file, a directory and an empty file, and still analyzes the others', async () => {
    const empty = await file('empty.log', '');
    const sub = join(dir, 'a-directory');
    await mkdir(sub);
    const run = await runCli(['analyze', '--json', join(dir, 'missing.log'), sub, empty, `${EXAMPLES}/gha-npm-network-error.log`]);
    expect(run.code).toBe(1);
    const [missing, directory, emptyResult, good] = jsonLines(run.stdout);
    expect(missing!.error).toMatch(/no such file/);
    expect(directory!.error).toMatch(/is a directory/);
    expect(emptyResult!.error).toMatch(/is empty/);
    expect(good!.category).toBe('network_error');
    for (const failed of [missing, directory, emptyResult]) expect(Object.keys(failed!).sort()).toEqual(['error', 'file']);
  });

  it('says the log is empty for empty standard input', async () => {
    const run = await runCli(['analyze', '-'], { stdin: '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/-: the log is empty/);
  });

  it('analyzes a log with no newline, NUL bytes, a 1 MB single line and invalid UTF-8', async () => {
    const noNewline = await file('no-newline.log', 'npm error code ETIMEDOUT: request to https://registry.npmjs.org/x failed');
    const nul = await file('nul.log', Buffer.concat([Buffer.from('step 1\n\0\0\0binary\0\n'), Buffer.from('FAIL src/a.test.js\n  ● sums\n    expect(received).toBe(expected)\n')]));
    const longLine = await file('long-line.log', 'x'.repeat(1 << 20) + '\nError: something broke\n');
    const invalid = await file('invalid-utf8.log', Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(' error: compile failed\n')]));
    const run = await runCli(['analyze', '--json', noNewline, nul, longLine, invalid]);
    expect(run.code).toBe(0);
    const results = jsonLines(run.stdout);
    expect(results).toHaveLength(4);
    expect(results[0]!.keyLine).toMatchObject({ line: 1 });
    for (const r of results) {
      expect(r.error).toBeUndefined();
      const bytes = (r.excerpts as { text: string }[]).reduce((n, e) => n + Buffer.byteLength(e.text), 0);
      expect(bytes).toBeLessThanOrEqual(8192);
    }
    expect(JSON.stringify(results[1])).not.toContain('\u0000');
  });

  it('rejects a bad command line with usage help', async () => {
    expect((await runCli(['analyze'])).code).toBe(2);
    expect((await runCli(['analyze', '--max-lines', 'ten', 'x.log'])).stderr).toContain("Invalid --max-lines 'ten'");
    expect((await runCli(['analyze', '--repo', 'not a repo', 'x.log'])).stderr).toContain('Expected {owner}/{name}');
    const unknown = await runCli(['analyze', '--frobnicate', 'x.log']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("ci-remediator analyze: Unknown option '--frobnicate'.\nRun 'ci-remediator analyze --help' for usage.\n");
    expect((await runCli(['frobnicate'])).stderr).toContain("unknown command 'frobnicate'");
  });
});

describe('ci-remediator operator without the binary', () => {
  it('says where the command is: src/ does not carry the operator', async () => {
    const run = await runCli(['operator', '--help']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('the operator command is not in this build; run bin/ci-remediator.js');
  });
});
