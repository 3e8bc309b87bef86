import { z } from 'zod';

/**
 * Input schemas of the read-only tools, defined once: the analysis agent (src/analysis/model/read-tools.ts)
 * and `ci-remediator mcp` (src/mcp/mcp-server.ts) register the same shapes, so a coding agent reading a
 * failure over MCP has exactly the bounds the model has. The agent's tools are scoped to one record (its
 * repository, jobs and commit come from the record); the MCP server adds the scope to each call.
 */

/** Lines one log window may hold: enough for a stack trace, bounded so one call cannot eat the budget. */
export const MAX_LOG_WINDOW_LINES = 200;
export const DEFAULT_LOG_WINDOW_LINES = 80;
export const MAX_RECENT_RUNS = 20;

export const ReadJobLogInput = z.strictObject({
  jobId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe('GitHub job id of one of the failed jobs'),
  startLine: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional().describe('First line of the window (1-based); default: around the key line'),
  lines: z.number().int().min(1).max(MAX_LOG_WINDOW_LINES).default(DEFAULT_LOG_WINDOW_LINES).describe(`How many lines, at most ${MAX_LOG_WINDOW_LINES}`),
});
export type ReadJobLogInput = z.infer<typeof ReadJobLogInput>;

export const ReadWorkflowFileInput = z.strictObject({});
export const ListChangedFilesInput = z.strictObject({});
export const FailureHistoryInput = z.strictObject({});
export const RecentRunsInput = z.strictObject({
  limit: z.number().int().min(1).max(MAX_RECENT_RUNS).default(10).describe('How many of the latest runs'),
});
export type RecentRunsInput = z.infer<typeof RecentRunsInput>;

export interface ReadToolDescription {
  name: ReadToolName;
  description: string;
  inputSchema: z.ZodObject;
}

export const READ_TOOL_NAMES = ['read_job_log', 'read_workflow_file', 'list_changed_files', 'failure_history', 'recent_runs'] as const;
export type ReadToolName = (typeof READ_TOOL_NAMES)[number];

export const READ_TOOLS: readonly ReadToolDescription[] = Object.freeze([
  {
    name: 'read_job_log',
    description: 'A window of a failed job\'s log, redacted and line-numbered ("<line> | <text>").',
    inputSchema: ReadJobLogInput,
  },
  { name: 'read_workflow_file', description: 'The workflow file at the failed commit, redacted, line-numbered.', inputSchema: ReadWorkflowFileInput },
  { name: 'list_changed_files', description: 'Files changed by the push or pull request that failed.', inputSchema: ListChangedFilesInput },
  {
    name: 'failure_history',
    description: 'How often this failure (its fingerprint) was seen in this repository, how often a re-run was tried and how often it fixed it.',
    inputSchema: FailureHistoryInput,
  },
  { name: 'recent_runs', description: 'The latest runs of this workflow on this branch, newest first: was it green before?', inputSchema: RecentRunsInput },
] satisfies ReadToolDescription[]);
