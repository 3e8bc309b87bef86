import { describe, expect, it } from '@jest/globals';
import { FailureRecordSpec } from '../../../src/api/failure-record.ts';
import { redactFailureRecordSpec, unredactedSpecCondition } from '../../../src/logs/redaction/failure-record-spec.ts';

const ghp = ['gh', 'p_', 'Q3'.repeat(18)].join('');

function spec(): FailureRecordSpec {
  return FailureRecordSpec.parse({
    source: 'action',
    repository: 'acme/web',
    workflow: { name: `deploy ${ghp}`, path: '.github/workflows/ci.yml', runId: 1, runAttempt: 1, url: `https://github.com/acme/web/actions/runs/1?t=${ghp}`, event: 'push' },
    commit: { sha: 'a'.repeat(40), branch: `fix/${ghp}`, author: 'octocat' },
    failedJobs: [
      {
        id: 2,
        name: `test (token=${ghp})`,
        url: 'https://github.com/acme/web/actions/runs/1/job/2',
        failedStep: `Run echo ${ghp}`,
        conclusion: 'failure',
        excerpt: `line 1\nnpm ERR! 401 token ${ghp} rejected\nDB_PASSWORD=hunter2`,
        excerptStartLine: 10,
        keyLine: { line: 11, text: `npm ERR! 401 token ${ghp} rejected` },
        logBytes: 10,
        cacheKeys: [`npm-${ghp}`],
      },
    ],
    changedFiles: [`secrets/${ghp}.txt`, 'src/index.ts'],
    detectedAt: '2026-12-04T20:00:00Z',
    fingerprint: 'rules:v1:x',
  });
}

describe('redactFailureRecordSpec', () => {
  it('redacts every text field, counts each occurrence once (the key line is a line of the excerpt), and the result is still a valid spec', async () => {
    const { spec: redacted, redactions } = await redactFailureRecordSpec(spec());
    expect(JSON.stringify(redacted)).not.toContain(ghp);
    expect(JSON.stringify(redacted)).not.toContain('hunter2');
    expect(redactions).toEqual({ 'github-token': 8, 'password-assignment': 1 });
    expect(FailureRecordSpec.safeParse(redacted).success).toBe(true);
    expect(redacted.failedJobs[0]!.keyLine).toEqual({ line: 11, text: 'npm ERR! 401 token [REDACTED:github-token] rejected' });
    expect(redacted.changedFiles).toEqual(['secrets/[REDACTED:github-token].txt', 'src/index.ts']);
  });

  it('gives a clean spec back unchanged with no counts (idempotent)', async () => {
    const once = await redactFailureRecordSpec(spec());
    const twice = await redactFailureRecordSpec(once.spec);
    expect(twice.spec).toEqual(once.spec);
    expect(twice.redactions).toEqual({});
  });

  it('keeps a field within its bound when the marker is longer than what it replaced', async () => {
    const input = spec();
    input.failedJobs[0]!.name = `${'x'.repeat(250)} password=a`;
    const { spec: redacted } = await redactFailureRecordSpec(input);
    expect(redacted.failedJobs[0]!.name.length).toBeLessThanOrEqual(256);
    expect(FailureRecordSpec.safeParse(redacted).success).toBe(true);
  });

  it('says which kinds an unredacted spec held, never the values', () => {
    const condition = unredactedSpecCondition({ 'github-token': 2 }, 1);
    expect(condition).toMatchObject({ type: 'SpecRedacted', status: 'True', reason: 'SpecHoldsUnredactedText', observedGeneration: 1 });
    expect(condition.message).toContain('github-token x2');
  });
});
