import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readInputs } from '../../../action/inputs.ts';
import { INGEST_PATH } from '../../../src/ingest/ingest-request.ts';
import { MIN_SECRET_LENGTH } from '../../../src/ingest/signature.ts';

// The inputs as a runner passes them: INPUT_<NAME> variables (@actions/core reads them from the environment).
const set: string[] = [];
function inputs(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    const key = `INPUT_${name.toUpperCase()}`;
    process.env[key] = value;
    set.push(key);
  }
}

// What @actions/core writes to stdout (workflow commands such as ::add-mask::), kept for the assertions
// instead of reaching the test output.
let commands: string[] = [];
const realWrite = process.stdout.write.bind(process.stdout);
beforeEach(() => {
  commands = [];
  process.stdout.write = ((chunk: string | Uint8Array) => {
    commands.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
});

afterEach(() => {
  process.stdout.write = realWrite;
  for (const key of set.splice(0)) delete process.env[key];
});

const TOKEN = 'ghs_0123456789abcdef0123456789abcdef0123';

describe('readInputs: kubeconfig', () => {
  it('says a directory is a directory, not that it does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-dir-'));
    inputs({ 'github-token': TOKEN, kubeconfig: dir });
    expect(() => readInputs()).toThrow(`Input 'kubeconfig': '${dir}' is a directory, not a kubeconfig file.`);
  });

  it('says a missing path does not exist, and reads a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    inputs({ 'github-token': TOKEN, kubeconfig: join(dir, 'missing') });
    expect(() => readInputs()).toThrow(/is neither a kubeconfig nor the path of a file \('.*missing' does not exist\)/);
    const file = join(dir, 'config');
    writeFileSync(file, 'apiVersion: v1\nkind: Config\n');
    inputs({ kubeconfig: file });
    expect(readInputs().kubeconfig).toEqual({ kind: 'file', path: file, content: 'apiVersion: v1\nkind: Config\n' });
  });
});

describe('readInputs: endpoint', () => {
  it('appends the ingest path and refuses a secret the operator would refuse', () => {
    inputs({ 'github-token': TOKEN, mode: 'endpoint', endpoint: 'https://ci.example.com/proxy/', 'signing-secret': 's'.repeat(MIN_SECRET_LENGTH) });
    expect(readInputs().endpoint?.href).toBe(`https://ci.example.com/proxy${INGEST_PATH}`);
    inputs({ 'signing-secret': 's'.repeat(MIN_SECRET_LENGTH - 1) });
    expect(() => readInputs()).toThrow(`Expected at least ${MIN_SECRET_LENGTH} characters`);
    // Both secrets are masked as soon as they are read, before anything could print them.
    expect(commands).toContain(`::add-mask::${TOKEN}\n`);
    expect(commands).toContain(`::add-mask::${'s'.repeat(MIN_SECRET_LENGTH)}\n`);
  });
});
