import { describe, expect, it } from '@jest/globals';
import { FailureRecordSpec } from '../../../src/api/failure-record.ts';
import { analyzeJobWithoutLog } from '../../../src/report/job-analysis.ts';
import {
  ReportError,
  buildFailureRecordSpec,
  decidingJob,
  failedStepOf,
  recordSummary,
  selectFailedJobs,
  type JobReport,
  type RunJob,
} from '../../../src/report/failure-record-builder.ts';
import { RunContextError, runContextFromEnv, workflowPath } from '../../../src/report/run-context.ts';

const SHA = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);
const ENV = {
  GITHUB_REPOSITORY: 'acme/web',
  GITHUB_RUN_ID: '9876543210',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_JOB: 'report',
  GITHUB_SHA: SHA,
  GITHUB_REF: 'refs/heads/main',
  GITHUB_REF_NAME: 'main',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_WORKFLOW: 'CI',
  GITHUB_WORKFLOW_REF: 'acme/web/.github/workflows/ci.yml@refs/heads/main',
  GITHUB_ACTOR: 'octocat',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_API_URL: 'https://api.github.com',
};

const job = (id: number, name: string, conclusion: string | null, status = 'completed'): RunJob => ({
  id,
  name,
  status,
  conclusion,
  html_url: `https://github.com/acme/web/actions/runs/9876543210/job/${id}`,
  steps: [
    { name: 'Set up job', conclusion: 'success' },
    { name: 'Run npm test', conclusion: conclusion === 'success' ? 'success' : conclusion },
  ],
});

describe('runContextFromEnv', () => {
  it('reads the run from the variables a runner sets', () => {
    expect(runContextFromEnv(ENV)).toEqual({
      repository: 'acme/web',
      runId: 9876543210,
      runAttempt: 2,
      job: 'report',
      workflowName: 'CI',
      workflowPath: '.github/workflows/ci.yml',
      event: 'push',
      sha: SHA,
      headSha: SHA,
      branch: 'main',
      author: 'octocat',
      serverUrl: 'https://github.com',
      apiUrl: 'https://api.github.com',
      runUrl: 'https://github.com/acme/web/actions/runs/9876543210/attempts/2',
    });
  });

  it('takes the pull request, its head commit, head branch and author from the event', () => {
    const context = runContextFromEnv(
      { ...ENV, GITHUB_EVENT_NAME: 'pull_request', GITHUB_REF: 'refs/pull/12/merge', GITHUB_REF_NAME: '12/merge', GITHUB_HEAD_REF: 'feature/x' },
      { pull_request: { number: 12, html_url: 'https://github.com/acme/web/pull/12', base: { ref: 'main' }, head: { sha: HEAD, ref: 'feature/x' }, user: { login: 'alice' } } },
    );
    expect(context).toMatchObject({
      headSha: HEAD,
      sha: SHA,
      branch: 'feature/x',
      author: 'alice',
      pullRequest: { number: 12, url: 'https://github.com/acme/web/pull/12', baseBranch: 'main' },
    });
  });

  it('names the variable that is missing or malformed', () => {
    const without = { ...ENV } as Record<string, string>;
    delete without.GITHUB_RUN_ID;
    expect(() => runContextFromEnv(without)).toThrow(RunContextError);
    expect(() => runContextFromEnv(without)).toThrow('GITHUB_RUN_ID is not set');
    expect(() => runContextFromEnv({ ...ENV, GITHUB_SHA: 'abc' })).toThrow("GITHUB_SHA 'abc' must be a full lower-case commit SHA");
    expect(() => runContextFromEnv({ ...ENV, GITHUB_REPOSITORY: 'nope' })).toThrow("GITHUB_REPOSITORY 'nope'");
  });

  it('names every missing variable in one error, so a local run is set up in one attempt', () => {
    const partial = { GITHUB_REPOSITORY: 'acme/web', GITHUB_SHA: 'abc' };
    expect(() => runContextFromEnv(partial)).toThrow(
      "GITHUB_RUN_ID, GITHUB_JOB, GITHUB_EVENT_NAME, GITHUB_WORKFLOW are not set (a GitHub Actions runner sets them; docs/action.md lists every variable, for a local run); GITHUB_SHA 'abc' must be a full lower-case commit SHA.",
    );
  });

  it('derives the workflow path from GITHUB_WORKFLOW_REF, or from the name when it is not set', () => {
    expect(workflowPath('acme/web/.github/workflows/release.yaml@refs/tags/v1', 'acme/web', 'Release')).toBe('.github/workflows/release.yaml');
    expect(workflowPath(undefined, 'acme/web', 'Build & Test')).toBe('.github/workflows/Build-Test.yml');
    expect(workflowPath('garbage', 'acme/web', 'CI')).toBe('.github/workflows/CI.yml');
  });
});

describe('selectFailedJobs', () => {
  it('keeps completed failed jobs, never the running reporter, and applies the jobs filter', () => {
    const jobs = [job(1, 'build', 'success'), job(2, 'test (20)', 'failure'), job(3, 'lint', 'failure'), job(4, 'report', null, 'in_progress'), job(5, 'e2e', 'timed_out')];
    expect(selectFailedJobs(jobs).selected.map((j) => j.id)).toEqual([2, 3, 5]);
    const filtered = selectFailedJobs(jobs, { patterns: ['test*', 'E2E'] });
    expect(filtered.selected.map((j) => j.id)).toEqual([2, 5]);
    expect(filtered.skipped).toEqual([{ job: jobs[2], reason: 'does not match the jobs filter' }]);
    expect(selectFailedJobs(jobs, { patterns: ['!lint'] }).selected.map((j) => j.id)).toEqual([2, 5]);
  });

  it('leaves out jobs cancelled because another failed, unless nothing else failed', () => {
    const jobs = [job(1, 'test (18)', 'failure'), job(2, 'test (20)', 'cancelled'), job(3, 'test (22)', 'cancelled')];
    const selection = selectFailedJobs(jobs);
    expect(selection.selected.map((j) => j.id)).toEqual([1]);
    expect(selection.skipped.map((s) => [s.job.id, s.reason])).toEqual([
      [2, 'cancelled after another job failed'],
      [3, 'cancelled after another job failed'],
    ]);
    expect(selectFailedJobs(jobs.slice(1)).selected.map((j) => j.id)).toEqual([2, 3]);
  });

  it('reports at most 50 jobs', () => {
    const jobs = Array.from({ length: 60 }, (_, i) => job(i + 1, `shard ${i}`, 'failure'));
    const selection = selectFailedJobs(jobs);
    expect(selection.selected).toHaveLength(50);
    expect(selection.skipped).toHaveLength(10);
  });

  it('names the first failed step', () => {
    expect(failedStepOf(job(1, 'x', 'failure'))).toBe('Run npm test');
    expect(failedStepOf({ ...job(1, 'x', 'failure'), steps: [] })).toBeUndefined();
  });
});

describe('buildFailureRecordSpec', () => {
  const context = runContextFromEnv(ENV);
  const report = (id: number, name: string, conclusion: string, log?: JobReport['log']): JobReport => ({
    job: job(id, name, conclusion),
    analysis: analyzeJobWithoutLog({ name, conclusion }),
    ...(log ? { log } : { problem: 'log expired' }),
  });

  it('builds a spec the CRD schema accepts, from the run and each job', () => {
    const spec = buildFailureRecordSpec({
      context,
      jobs: [
        report(11, 'test', 'failure', {
          excerpt: 'npm error code ECONNRESET',
          excerptStartLine: 40,
          keyLine: { line: 40, text: 'npm error code ECONNRESET' },
          cacheKeys: ['node-cache-Linux-x64-npm-0123456789abcdef', 'Linux-cypress-fedcba9876543210'],
          logBytes: 1234,
          logSha256: 'c'.repeat(64),
        }),
        report(12, 'deploy', 'timed_out'),
      ],
      changedFiles: ['src/a.ts', 'package-lock.json'],
      detectedAt: new Date('2025-06-01T12:00:00Z'),
    });
    expect(FailureRecordSpec.parse(spec)).toEqual(spec);
    expect(spec).toMatchObject({
      source: 'action',
      repository: 'acme/web',
      workflow: { name: 'CI', path: '.github/workflows/ci.yml', runId: 9876543210, runAttempt: 2, event: 'push' },
      commit: { sha: SHA, branch: 'main', author: 'octocat' },
      changedFiles: ['src/a.ts', 'package-lock.json'],
      detectedAt: '2025-06-01T12:00:00.000Z',
    });
    expect(spec.failedJobs[0]).toEqual({
      id: 11,
      name: 'test',
      url: 'https://github.com/acme/web/actions/runs/9876543210/job/11',
      failedStep: 'Run npm test',
      conclusion: 'failure',
      excerpt: 'npm error code ECONNRESET',
      excerptStartLine: 40,
      keyLine: { line: 40, text: 'npm error code ECONNRESET' },
      logBytes: 1234,
      logSha256: 'c'.repeat(64),
      cacheKeys: ['node-cache-Linux-x64-npm-0123456789abcdef', 'Linux-cypress-fedcba9876543210'],
    });
    // A job whose log could not be read is still reported, with an empty excerpt.
    expect(spec.failedJobs[1]).toMatchObject({ id: 12, excerpt: '', logBytes: 0, conclusion: 'timed_out' });
    expect(spec.failedJobs[1]).not.toHaveProperty('logSha256');
    expect(spec.failedJobs[1]).not.toHaveProperty('cacheKeys');
    expect(spec.fingerprint).toBe(decidingJob([report(11, 'test', 'failure'), report(12, 'deploy', 'timed_out')]).analysis.fingerprint);
  });

  it('leaves cacheKeys out when the log named none, and refuses keys beyond the schema\'s bounds, naming the field', () => {
    const log = { excerpt: 'x', logBytes: 1, logSha256: 'c'.repeat(64) };
    const none = buildFailureRecordSpec({ context, jobs: [report(1, 'a', 'failure', { ...log, cacheKeys: [] })], detectedAt: new Date() });
    expect(none.failedJobs[0]).not.toHaveProperty('cacheKeys');
    // The analyzer never returns these (the collector and redactCacheKeys bound them); the schema check catches a caller that does.
    const keys = Array.from({ length: 10 }, (_, i) => `Linux-${i}`);
    const build = (cacheKeys: string[]) => () => buildFailureRecordSpec({ context, jobs: [report(1, 'a', 'failure', { ...log, cacheKeys })], detectedAt: new Date() });
    expect(build(keys)).toThrow(/failedJobs\[0\]\.cacheKeys: must have at most 8 entries/);
    expect(build(['k'.repeat(513)])).toThrow(/failedJobs\[0\]\.cacheKeys\[0\]/);
  });

  it('refuses to build an invalid record, naming the field', () => {
    expect(() => buildFailureRecordSpec({ context: { ...context, runUrl: 'ftp://x' }, jobs: [report(1, 'a', 'failure')], detectedAt: new Date() })).toThrow(
      /workflow\.url: must be an http\(s\) URL/,
    );
    expect(() => buildFailureRecordSpec({ context, jobs: [], detectedAt: new Date() })).toThrow(ReportError);
  });

  it('summarizes with the riskiest job, naming it when several failed', () => {
    const jobs = [report(1, 'lint', 'failure'), report(2, 'deploy', 'timed_out')];
    const deciding = decidingJob(jobs);
    expect(recordSummary(jobs)).toEqual({ category: deciding.analysis.category, summary: `${deciding.job.name}: ${deciding.analysis.summary}` });
    expect(recordSummary([jobs[0]!]).summary).toBe(jobs[0]!.analysis.summary);
  });
});
