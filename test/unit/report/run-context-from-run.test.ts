import { describe, expect, it } from '@jest/globals';
import { runContextFromEnv, runContextFromRun } from '../../../src/report/run-context.ts';

// The operator's sources build the context from the run object; it must be the one the action builds from the
// runner's variables for the same run, or the two would make different records.

const sha = 'a'.repeat(40);

describe('runContextFromRun', () => {
  it('is the context the action builds for a push run, reporter job aside', () => {
    const fromRun = runContextFromRun(
      {
        id: 123,
        name: 'CI',
        path: '.github/workflows/ci.yml',
        run_attempt: 2,
        event: 'push',
        head_sha: sha,
        head_branch: 'main',
        html_url: 'https://github.com/acme/web/actions/runs/123',
        actor: { login: 'octocat' },
        repository: { full_name: 'acme/web' },
      },
      'https://api.github.com/',
    );
    const fromEnv = runContextFromEnv({
      GITHUB_REPOSITORY: 'acme/web',
      GITHUB_RUN_ID: '123',
      GITHUB_RUN_ATTEMPT: '2',
      GITHUB_JOB: 'report',
      GITHUB_SHA: sha,
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_WORKFLOW: 'CI',
      GITHUB_WORKFLOW_REF: 'acme/web/.github/workflows/ci.yml@refs/heads/main',
      GITHUB_ACTOR: 'octocat',
    });
    expect({ ...fromRun, job: 'report' }).toEqual(fromEnv);
  });

  it('takes the pull request, and the GitHub Enterprise host, from the run', () => {
    const context = runContextFromRun(
      {
        id: 9,
        name: null,
        path: '.github/workflows/pr.yml',
        event: 'pull_request',
        head_sha: sha,
        head_branch: 'feature',
        html_url: 'https://ghe.example.com/acme/web/actions/runs/9',
        pull_requests: [{ number: 42, base: { ref: 'main' } }],
        repository: { full_name: 'acme/web' },
      },
      'https://ghe.example.com/api/v3',
    );
    expect(context).toMatchObject({
      runAttempt: 1,
      workflowName: '.github/workflows/pr.yml',
      workflowPath: '.github/workflows/pr.yml',
      branch: 'feature',
      pullRequest: { number: 42, url: 'https://ghe.example.com/acme/web/pull/42', baseBranch: 'main' },
      runUrl: 'https://ghe.example.com/acme/web/actions/runs/9/attempts/1',
    });
  });

  it("refuses a run whose html_url is not that repository's run", () => {
    expect(() =>
      runContextFromRun(
        { id: 9, path: 'x.yml', event: 'push', head_sha: sha, head_branch: 'main', html_url: 'https://github.com/other/repo/actions/runs/9', repository: { full_name: 'acme/web' } },
        'https://api.github.com',
      ),
    ).toThrow("does not name acme/web's run 9");
  });
});
