import type { GitHubClient } from '../../github/client.ts';
import type { ToolSources } from './read-tools.ts';

/**
 * Tool sources backed by the GitHub client: the job log by job id (streamed, stopped once the window is
 * read), the workflow file at the commit, the recent runs of the workflow on the branch, the changed files
 * of the pull request or commit. Only reads: the client's write methods are never reachable from a tool.
 */
export type GitHubReader = Pick<GitHubClient, 'downloadJobLog' | 'listChangedFiles' | 'getFileText' | 'listWorkflowRuns'>;

export function githubToolSources(client: GitHubReader, changes?: { repository: string; target: { pullNumber: number } | { sha: string } }): ToolSources {
  return {
    jobLog: (repo, jobId, options) => client.downloadJobLog(repo, jobId, options),
    fileAt: (repo, path, ref, options) => client.getFileText(repo, path, ref, { maxBytes: options.maxBytes }),
    recentRuns: async (repo, workflowPath, branch, limit) => {
      const file = workflowPath.split('/').pop() ?? workflowPath;
      const runs = await client.listWorkflowRuns(repo, file, { branch, limit });
      return runs.map((run) => ({
        id: run.id,
        attempt: run.run_attempt ?? 1,
        conclusion: run.conclusion ?? null,
        status: run.status ?? 'unknown',
        headSha: run.head_sha,
        createdAt: run.created_at,
        event: run.event,
      }));
    },
    ...(changes !== undefined && { changedFiles: () => client.listChangedFiles(changes.repository, changes.target, { limit: 300 }) }),
  };
}
