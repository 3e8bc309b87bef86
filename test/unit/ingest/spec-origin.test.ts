import { describe, expect, it } from '@jest/globals';
import type { FailureRecordSpec } from '../../../src/api/failure-record.ts';
import { githubWebUrlOf, validateSpecOrigin } from '../../../src/ingest/spec-origin.ts';

function spec(urls: { run?: string; job?: string; pr?: string }): FailureRecordSpec {
  return {
    source: 'action',
    repository: 'acme/web',
    workflow: { name: 'CI', path: '.github/workflows/ci.yml', runId: 1, runAttempt: 1, url: urls.run ?? 'https://github.com/acme/web/actions/runs/1', event: 'push' },
    commit: { sha: 'a'.repeat(40) },
    ...(urls.pr !== undefined && { pullRequest: { number: 3, url: urls.pr } }),
    failedJobs: [{ id: 2, name: 'test', url: urls.job ?? 'https://github.com/acme/web/actions/runs/1/job/2', conclusion: 'failure', excerpt: '', logBytes: 0 }],
    detectedAt: '2026-12-04T20:00:00Z',
    fingerprint: 'rules:v1:x',
  };
}

describe('links on the configured GitHub server', () => {
  it('derives the web root from the API root (github.com, GHE Server, GHE.com)', () => {
    expect(githubWebUrlOf('https://api.github.com')).toBe('https://github.com');
    expect(githubWebUrlOf('https://github.example.com/api/v3')).toBe('https://github.example.com');
    expect(githubWebUrlOf('https://api.acme.ghe.com')).toBe('https://acme.ghe.com');
  });

  it('accepts links on the server and refuses any other host, or credentials in a link', () => {
    expect(validateSpecOrigin(spec({}), 'https://github.com')).toEqual([]);
    expect(validateSpecOrigin(spec({ job: 'https://evil.example/x' }), 'https://github.com')).toEqual([
      "spec.failedJobs[0].url: must be on the configured GitHub server https://github.com (got host 'evil.example')",
    ]);
    expect(validateSpecOrigin(spec({ run: 'https://github.com.evil.example/acme/web' }), 'https://github.com')).toHaveLength(1);
    expect(validateSpecOrigin(spec({ pr: 'http://github.com/acme/web/pull/3' }), 'https://github.com')).toHaveLength(1);
    expect(validateSpecOrigin(spec({ run: 'https://x:y@github.com/acme/web/actions/runs/1' }), 'https://github.com')).toEqual(['spec.workflow.url: must not carry credentials']);
    expect(validateSpecOrigin(spec({}), 'https://github.example.com')).toHaveLength(2);
  });
});
