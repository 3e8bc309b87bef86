import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyFile, parsePolicyDocuments } from '../../../src/policy/policy-loader.ts';
import { PolicyError } from '../../../src/errors.ts';

const header = 'apiVersion: ci-remediator.dev/v1alpha1\nkind: RemediationPolicy\n';

function policyYaml(name: string, spec: string): string {
  return `${header}metadata:\n  name: ${name}\nspec:\n${spec}`;
}

function errorOf(run: () => unknown): PolicyError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

describe('parsePolicyDocuments', () => {
  it('reads several documents and skips empty ones', () => {
    const text = `${policyYaml('a', '  repositories: [acme/a]\n')}---\n${policyYaml('b', '  repositories: [acme/b]\n  riskThreshold: 10\n')}---\n`;
    const policies = parsePolicyDocuments(text, 'p.yaml');
    expect(policies.map((p) => [p.metadata.name, p.spec.riskThreshold])).toEqual([
      ['a', 30],
      ['b', 10],
    ]);
    expect(Object.isFrozen(policies[0]?.spec.repositories)).toBe(true);
  });

  it('names the file, the document, the policy, the field, the value and the line', () => {
    const text = policyYaml('web', '  repositories: [acme/web]\n  riskThreshold: 150\n');
    const error = errorOf(() => parsePolicyDocuments(text, 'examples/p.yaml'));
    expect(error.code).toBe('INVALID_POLICY');
    expect(error.message).toBe('examples/p.yaml: document 1 (RemediationPolicy "web"): spec.riskThreshold: must be at most 100 (got 150) at line 7');
  });

  it('reports every problem of every document, each on its own line', () => {
    const text = [
      policyYaml('web', '  repositories: [acme/web]\n  riskThreshhold: 20\n'),
      policyYaml('api', '  repositories: [acme/api]\n  approval:\n    timeout: 1d\n'),
    ].join('---\n');
    const lines = errorOf(() => parsePolicyDocuments(text, 'p.yaml')).message.split('\n');
    expect(lines).toEqual([
      'p.yaml: document 1 (RemediationPolicy "web"): spec.riskThreshhold: unknown field at line 7',
      expect.stringMatching(/^p\.yaml: document 2 \(RemediationPolicy "api"\): spec\.approval\.timeout: must be a duration .*\(got '1d'\) at line 16$/),
    ]);
  });

  it('points a missing field at its parent', () => {
    const text = `${header}metadata:\n  name: web\nspec:\n  priority: 1\n`;
    expect(errorOf(() => parsePolicyDocuments(text, 'p.yaml')).message).toBe(
      'p.yaml: document 1 (RemediationPolicy "web"): spec.repositories: is required at line 5',
    );
  });

  it('refuses a document of another kind, naming its index and kind', () => {
    const text = `${policyYaml('web', '  repositories: [acme/web]\n')}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n`;
    expect(errorOf(() => parsePolicyDocuments(text, 'p.yaml')).message).toBe(
      'p.yaml: document 2 (kind ConfigMap): is not a RemediationPolicy; a policy file holds only ci-remediator.dev/v1alpha1 RemediationPolicy documents at line 9',
    );
  });

  it('refuses a document that is not a mapping', () => {
    expect(errorOf(() => parsePolicyDocuments('- a\n- b\n', 'p.yaml')).message).toBe(
      'p.yaml: document 1: expected a RemediationPolicy mapping, got a list at line 1',
    );
  });

  it('names the line and column of a YAML syntax error', () => {
    const text = `${header}metadata:\n  name: web\nspec:\n  repositories: [acme/web\n  riskThreshold: 10\n`;
    expect(errorOf(() => parsePolicyDocuments(text, 'p.yaml')).message).toMatch(/^p\.yaml: line \d+, column \d+: YAML syntax error: /);
    expect(errorOf(() => parsePolicyDocuments('a: 1\na: 2\n', 'dup.yaml')).message).toMatch(/^dup\.yaml: line 2, column 1: YAML syntax error: .*[Mm]ap keys must be unique/);
  });

  it('refuses the same policy twice in one file', () => {
    const text = [policyYaml('web', '  repositories: [acme/a]\n'), policyYaml('web', '  repositories: [acme/b]\n')].join('---\n');
    expect(errorOf(() => parsePolicyDocuments(text, 'p.yaml')).message).toBe(
      'p.yaml: document 2 (RemediationPolicy "web"): is defined twice (first in document 1) at line 11',
    );
  });

  it.each([
    ['an empty text', ''],
    ['only comments', '# policies go here\n\n'],
    ['only separators', '---\n---\n'],
  ])('calls %s empty', (_label, text) => {
    expect(errorOf(() => parsePolicyDocuments(text, 'p.yaml')).message).toBe(
      'p.yaml: is empty; expected at least one RemediationPolicy document',
    );
  });
});

describe('loadPolicyFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'policy-loader-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a file', async () => {
    const path = join(dir, 'ok.yaml');
    await writeFile(path, policyYaml('web', '  repositories: [acme/web]\n'));
    await expect(loadPolicyFile(path)).resolves.toEqual([expect.objectContaining({ metadata: { name: 'web' } })]);
  });

  it('names the file in validation errors', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, policyYaml('web', '  repositories: [acme/web]\n  protected: maybe\n'));
    await expect(loadPolicyFile(path)).rejects.toThrow(`${path}: document 1 (RemediationPolicy "web"): spec.protected: must be a boolean (got 'maybe') at line 7`);
  });

  it('says so when the file is missing', async () => {
    const path = join(dir, 'missing.yaml');
    await expect(loadPolicyFile(path)).rejects.toThrow(`${path}: no such file`);
    await expect(loadPolicyFile(path)).rejects.toBeInstanceOf(PolicyError);
  });

  it('says so when the path is a directory', async () => {
    await expect(loadPolicyFile(dir)).rejects.toThrow(`${dir}: is a directory; expected a YAML file of RemediationPolicy documents`);
  });

  it('says so when the file is empty', async () => {
    const path = join(dir, 'empty.yaml');
    await writeFile(path, '');
    await expect(loadPolicyFile(path)).rejects.toThrow(`${path}: is empty`);
  });
});
