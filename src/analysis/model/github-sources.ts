import type { GitHubClient } from '../../github/client.ts';
import type { ToolSources } from './read-tools.ts';

/**
 * Tool sources backed by the GitHub client: the job log by job id (streamed, stopped once the window is
 * read), the changed files of the pull request or commit. Only reads: the client's write methods are never
 * reachable from a tool.
 */
export function githubToolSources(client: Pick<GitHubClient, 'downloadJobLog' | 'listChangedFiles'>, target?: { pullNumber: number } | { sha: string }, repository?: string): ToolSources {
  return {
    jobLog: (repo, jobId, options) => client.downloadJobLog(repo, jobId, options),
    ...(target !== undefined &&
      repository !== undefined && {
        changedFiles: () => client.listChangedFiles(repository, target, { limit: 300 }),
      }),
  };
}
