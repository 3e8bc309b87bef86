import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { describeIssues } from '../../../src/api/common.ts';
import { FailureRecord, failureRecordName, type FailureRecordInput } from '../../../src/api/failure-record.ts';

const job = {
  id: 27182818284,
  name: 'test (20.x)',
  url: 'https://github.com/acme/web/actions/runs/9876543210/job/27182818284',
  failedStep: 'Run npm test',
  conclusion: 'failure',
  excerpt: 'npm error code ECONNRESET\nnpm error network aborted',
  excerptStartLine: 412,
  keyLine: { line: 412, text: 'npm error code ECONNRESET' },
  logBytes: 184320,
  logSha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
} as const;

/** What the action creates for a failed pull-request run, plus the status the operator writes. */
const record: FailureRecordInput = {
  apiVersion: 'ci-remediator.dev/v1alpha1',
  kind: 'FailureRecord',
  metadata: { name: 'acme-web-9876543210-1-3f2a9c1e', namespace: 'ci-remediator' },
  spec: {
    source: 'action',
    repository: 'acme/web',
    workflow: {
      name: 'CI',
      path: '.github/workflows/ci.yml',
      runId: 9876543210,
      runAttempt: 1,
      url: 'https://github.com/acme/web/actions/runs/9876543210/attempts/1',
      event: 'pull_request',
    },
    commit: { sha: '4f2b8c1d9e0a7b6c5d4e3f2a1b0c9d8e7f6a5b4c', branch: 'feature/login', author: 'octocat' },
    pullRequest: { number: 1234, url: 'https://github.com/acme/web/pull/1234', baseBranch: 'main' },
    failedJobs: [job],
    changedFiles: ['src/login.ts', 'package-lock.json'],
    detectedAt: '2026-11-26T06:00:00Z',
    fingerprint: 'rules:v1:0123456789abcdef0123',
  },
  status: {
    phase: 'AwaitingApproval',
    observedGeneration: 1,
    conditions: [
      { type: 'Analyzed', status: 'True', reason: 'RulesMatched', message: 'network_error', lastTransitionTime: '2026-11-26T06:00:05Z' },
    ],
    analysis: {
      analyzer: 'rules',
      category: 'network_error',
      riskScore: 20,
      confidence: 0.9,
      effort: 'trivial',
      summary: 'npm could not reach the registry',
      reasoning: 'the npm-network signature matched line 412',
      proposedRemediation: { action: 'rerun-failed-jobs', params: { scope: 'failed' }, rationale: 'network errors are transient' },
      redactions: { 'github-token': 1 },
      tokens: { input: 1200, output: 300 },
    },
    gate: {
      decision: 'approval',
      reasons: ['the failure touches application code (src/login.ts)'],
      policyName: 'frontend',
      policyGeneration: 2,
      threshold: 30,
      riskScore: 20,
    },
    approval: {
      requestedAt: '2026-11-26T06:00:06Z',
      expiresAt: '2026-11-27T06:00:06+00:00',
      slack: { channel: 'C0123456789', ts: '1700000000.000100' },
    },
  },
};

type Patch = (draft: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

function problems(patch: Patch): string[] {
  const draft = structuredClone(record) as Record<string, unknown>;
  patch(draft);
  const result = FailureRecord.safeParse(draft);
  return result.success ? [] : describeIssues(result.error.issues, draft);
}

describe('FailureRecord schema', () => {
  it('accepts a realistic record and fills status defaults', () => {
    const parsed = FailureRecord.parse(record);
    expect(parsed.spec.failedJobs[0]?.id).toBe(27182818284);
    expect(parsed.status?.analysis?.injectionSuspected).toBe(false);
    expect(parsed.status?.analysis?.components).toEqual([]);
  });

  it('accepts the minimum a producer knows: no pull request, no changed files, no log', () => {
    expect(
      problems((r) => {
        delete r.spec.pullRequest;
        delete r.spec.changedFiles;
        delete r.status;
        delete r.spec.commit.branch;
        r.spec.failedJobs = [{ id: 1, name: 'build', url: 'https://github.com/a/b/actions/runs/1/job/1', conclusion: 'cancelled', excerpt: '', logBytes: 0 }];
      }),
    ).toEqual([]);
  });

  it.each<[string, Patch, string]>([
    ['a repository without owner', (r) => (r.spec.repository = 'web'), "spec.repository: must be a repository as {owner}/{name}, e.g. 'acme/web' (the name may not be '.', '..' or only dots) (got 'web')"],
    ['a repository of dots', (r) => (r.spec.repository = 'acme/..'), "spec.repository: must be a repository as {owner}/{name}, e.g. 'acme/web' (the name may not be '.', '..' or only dots) (got 'acme/..')"],
    ['a short commit sha', (r) => (r.spec.commit.sha = 'abc1234'), 'spec.commit.sha: must be at least 40 characters long (got 7)'],
    ['an upper-case sha', (r) => (r.spec.commit.sha = 'A'.repeat(40)), 'spec.commit.sha: must be a full lower-case commit SHA'],
    ['an unknown source', (r) => (r.spec.source = 'cron'), "spec.source: must be one of 'action', 'webhook', 'poller' (got 'cron')"],
    ['attempt 0', (r) => (r.spec.workflow.runAttempt = 0), 'spec.workflow.runAttempt: must be at least 1 (got 0)'],
    ['a fractional run id', (r) => (r.spec.workflow.runId = 1.5), 'spec.workflow.runId: must be an integer (got 1.5)'],
    ['a non-web URL', (r) => (r.spec.workflow.url = 'javascript:alert(1)'), 'spec.workflow.url: must be an http(s) URL'],
    ['a date that is not RFC 3339', (r) => (r.spec.detectedAt = '26/11/2026'), "spec.detectedAt: Invalid ISO datetime (got '26/11/2026')"],
    ['a date without zone', (r) => (r.spec.detectedAt = '2026-11-26T06:00:00'), 'spec.detectedAt: Invalid ISO datetime'],
    ['no failed jobs', (r) => (r.spec.failedJobs = []), 'spec.failedJobs: must have at least 1 entry (got 0)'],
    ['51 failed jobs', (r) => (r.spec.failedJobs = Array.from({ length: 51 }, () => job)), 'spec.failedJobs: must have at most 50 entries (got 51)'],
    ['an oversized excerpt', (r) => (r.spec.failedJobs[0].excerpt = 'x'.repeat(16_385)), 'spec.failedJobs[0].excerpt: must be at most 16384 characters long (got 16385)'],
    ['a conclusion that is not a failure', (r) => (r.spec.failedJobs[0].conclusion = 'success'), 'spec.failedJobs[0].conclusion: must be one of'],
    ['a bad log hash', (r) => (r.spec.failedJobs[0].logSha256 = 'nothex'), 'spec.failedJobs[0].logSha256: must be a lower-case hex SHA-256'],
    ['301 changed files', (r) => (r.spec.changedFiles = Array.from({ length: 301 }, (_, i) => `f${i}`)), 'spec.changedFiles: must have at most 300 entries (got 301)'],
    ['a 1025-character path', (r) => (r.spec.changedFiles = ['a'.repeat(1025)]), 'spec.changedFiles[0]: must be at most 1024 characters long (got 1025)'],
    ['a missing fingerprint', (r) => delete r.spec.fingerprint, 'spec.fingerprint: is required'],
    ['an unknown spec field', (r) => (r.spec.sourc = 'action'), 'spec.sourc: unknown field'],
    ['an unknown phase', (r) => (r.status.phase = 'Done'), "status.phase: must be one of 'Pending'"],
    ['risk over 100', (r) => (r.status.analysis.riskScore = 101), 'status.analysis.riskScore: must be at most 100 (got 101)'],
    ['confidence over 1', (r) => (r.status.analysis.confidence = 1.5), 'status.analysis.confidence: must be at most 1 (got 1.5)'],
    ['a category outside the taxonomy', (r) => (r.status.analysis.category = 'cosmic_rays'), 'status.analysis.category: must be one of'],
    ['an action outside the catalog', (r) => (r.status.analysis.proposedRemediation.action = 'rm -rf /'), 'status.analysis.proposedRemediation.action: must be one of'],
    ['a gate decision outside the three', (r) => (r.status.gate.decision = 'maybe'), "status.gate.decision: must be one of 'auto', 'approval', 'blocked'"],
  ])('rejects %s, naming the field', (_name, patch, message) => {
    const found = problems(patch);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toContain(message);
  });
});

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('failureRecordName', () => {
  it('is readable: repository, run id, attempt, then a short hash', () => {
    expect(failureRecordName('acme/web', 9876543210, 1)).toMatch(/^acme-web-9876543210-1-[0-9a-f]{8}$/);
  });

  it('is deterministic', () => {
    expect(failureRecordName('acme/web', 42, 2)).toBe(failureRecordName('acme/web', 42, 2));
  });

  it('ignores case, as GitHub does for repositories', () => {
    expect(failureRecordName('Acme/Web', 42, 1)).toBe(failureRecordName('acme/web', 42, 1));
  });

  it.each([
    ['dots and underscores', 'my-org/my_repo.js'],
    ['upper case', 'ACME/WEB'],
    ['a leading dot and dashes at the ends', 'a-/.github'],
    ['a 100-character name and a 39-character owner', `${'o'.repeat(39)}/${'n'.repeat(100)}`],
    ['a name of only punctuation', 'a/._-'],
  ])('is a DNS-1123 label for %s', (_case, repository) => {
    for (const [runId, attempt] of [
      [1, 1],
      [Number.MAX_SAFE_INTEGER, 1000],
    ] as const) {
      const name = failureRecordName(repository, runId, attempt);
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(DNS1123_LABEL);
      expect(name).toContain(`-${runId}-${attempt}-`);
    }
  });

  it('keeps repositories apart that normalize to the same prefix', () => {
    const names = ['acme/web.app', 'acme/web_app', 'acme/web-app', 'acme-web/app'].map((repo) => failureRecordName(repo, 7, 1));
    expect(new Set(names).size).toBe(names.length);
    // Truncation must not merge long names that share their first 30 characters either.
    const long = (suffix: string) => `acme/${'x'.repeat(90)}${suffix}`;
    expect(failureRecordName(long('a'), 7, 1)).not.toBe(failureRecordName(long('b'), 7, 1));
  });

  it('differs by run id and by attempt', () => {
    expect(failureRecordName('acme/web', 7, 1)).not.toBe(failureRecordName('acme/web', 7, 2));
    expect(failureRecordName('acme/web', 7, 1)).not.toBe(failureRecordName('acme/web', 8, 1));
    // '1' + '12' vs '11' + '2' would collide without a separator.
    expect(failureRecordName('acme/web', 1, 12)).not.toBe(failureRecordName('acme/web', 11, 2));
  });

  it('is a valid label for any repository GitHub allows', () => {
    const owner = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/);
    // GitHub refuses names of dots only ('.', '..', '...').
    const repo = fc.stringMatching(/^[A-Za-z0-9._-]{1,100}$/).filter((name) => !/^\.+$/.test(name));
    fc.assert(
      fc.property(owner, repo, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 1, max: 1000 }), (o, n, runId, attempt) => {
        const name = failureRecordName(`${o}/${n}`, runId, attempt);
        return name.length <= 63 && DNS1123_LABEL.test(name);
      }),
    );
  });

  it.each([
    ['a repository without owner', () => failureRecordName('web', 1, 1), "Invalid repository 'web'. Expected {owner}/{name}."],
    ['run id 0', () => failureRecordName('acme/web', 0, 1), 'Invalid run id 0. Expected a positive integer.'],
    ['an unsafe run id', () => failureRecordName('acme/web', 2 ** 60, 1), 'Invalid run id'],
    ['attempt 0', () => failureRecordName('acme/web', 1, 0), 'Invalid run attempt 0. Expected a positive integer.'],
  ])('refuses %s', (_name, call, message) => {
    expect(call).toThrow(message);
  });
});

describe('examples/records', () => {
  it('holds FailureRecords the schema accepts, as the README applies them', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const { parse } = await import('yaml');
    const files = (await readdir('examples/records')).filter((name) => name.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      const result = FailureRecord.safeParse(parse(await readFile(`examples/records/${name}`, 'utf8')));
      expect(result.error?.issues ?? []).toEqual([]);
    }
  });
});
