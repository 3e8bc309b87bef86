// The read tools on GitHub through the production client and the local GitHub server: bounded, redacted,
// framed, scoped to the failure's own jobs.
import { describe, expect, it } from '@jest/globals';
import { githubToolSources } from '../../../src/analysis/model/github-sources.ts';
import { createToolSession } from '../../../src/analysis/model/read-tools.ts';
import { redact } from '../../../src/analysis/model/redaction.ts';
import { RecordBudget } from '../../../src/analysis/model/token-budget.ts';
import { localGitHubPerTest } from '../../support/local-github.ts';
import { jobFrom, NETWORK_LOG } from '../../support/model-fixtures.ts';

const setup = localGitHubPerTest();
const REPO = 'acme/app';

describe('read tools on GitHub', () => {
  it('read the workflow file at the commit and the recent runs on the branch', async () => {
    const { gh, client } = await setup();
    const repo = gh.repo(REPO);
    const green = repo.addRun({ headBranch: 'main', createdAt: new Date('2026-12-01T10:00:00Z'), jobs: [{ name: 'build', conclusion: 'success' }] });
    const red = repo.addRun({ headBranch: 'main', createdAt: new Date('2026-12-02T10:00:00Z'), jobs: [{ name: 'build', conclusion: 'failure', log: NETWORK_LOG }] });
    repo.addRun({ headBranch: 'feature', jobs: [{ name: 'build', conclusion: 'failure' }] });
    repo.files.set(`${red.headSha}:.github/workflows/ci.yml`, `name: CI\non: push\njobs:\n  build:\n    env:\n      NPM_TOKEN: npm_${'a1B2c3D4e5'.repeat(3)}xyzzyz\n    runs-on: ubuntu-latest\n`);

    const session = createToolSession(
      { repository: REPO, jobs: [jobFrom(NETWORK_LOG, 'build', red.job('build').id)], fingerprint: 'f', workflowPath: '.github/workflows/ci.yml', commitSha: red.headSha, branch: 'main' },
      githubToolSources(client),
      new RecordBudget(4000),
      redact,
    );
    const workflow = await session.run('read_workflow_file', {});
    expect(workflow).toContain(`<untrusted-data source="file:.github/workflows/ci.yml@${red.headSha.slice(0, 12)}">`);
    expect(workflow).toContain('1 | name: CI');
    expect(workflow).not.toContain('a1B2c3D4e5a1B2c3D4e5');

    const runs = await session.run('recent_runs', { limit: 5 });
    const lines = runs.split('\n').filter((line) => line.includes(' run '));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(`run ${red.id} attempt 1 completed/failure`);
    expect(lines[1]).toContain(`run ${green.id} attempt 1 completed/success`);

    const log = await session.run('read_job_log', { jobId: red.job('build').id, startLine: 3, lines: 2 });
    expect(log).toContain('3 | npm ERR! code ECONNRESET');
    expect(log).not.toContain('1 | ##[group]');
    expect(session.calls).toEqual(['read_workflow_file', 'recent_runs', 'read_job_log']);
  });

  it('refuse a job that is not one of the failure\'s own, and a file that does not exist', async () => {
    const { gh, client } = await setup();
    const run = gh.repo(REPO).addRun({ jobs: [{ name: 'build', conclusion: 'failure', log: NETWORK_LOG }] });
    const session = createToolSession(
      { repository: REPO, jobs: [jobFrom(NETWORK_LOG, 'build', 5)], fingerprint: 'f', workflowPath: '.github/workflows/nope.yml', commitSha: run.headSha },
      githubToolSources(client),
      new RecordBudget(4000),
      redact,
    );
    expect(await session.run('read_job_log', { jobId: run.job('build').id })).toBe(`Job ${run.job('build').id} is not one of this failure's jobs (5).`);
    expect(await session.run('read_workflow_file', {})).toBe(`.github/workflows/nope.yml does not exist at ${run.headSha.slice(0, 12)}.`);
    expect(session.shown).toEqual([]);
  });
});
