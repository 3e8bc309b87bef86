import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { analyzeLog } from '../report/log-report.ts';
import { RecordBudget } from '../analysis/model/token-budget.ts';
import { createToolSession, type ToolSources } from '../analysis/model/read-tools.ts';
import type { Redact } from '../analysis/model/redaction.ts';
import { READ_TOOLS } from '../analysis/model/tool-schemas.ts';
import type { RemediationPolicy } from '../api/remediation-policy.ts';
import { DEFAULT_POLICY } from '../policy/default-policy.ts';
import { reportJson } from '../cli/analyze-report.ts';

/**
 * `ci-remediator mcp`: the analysis agent's read tools, and `analyze_failure`, for a coding agent a team
 * already uses. Same schemas (tool-schemas.ts), same bounds, same redaction and the same untrusted-data
 * framing as the model gets. Nothing here executes, approves or writes: there is no such tool to call.
 */

/** What an MCP call names that the agent's record-scoped tools take from the record. */
export const McpScope = z.strictObject({
  repository: z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, { error: "must be a repository such as 'acme/app'" }),
  fingerprint: z.string().min(1).max(128).optional().describe('The failure fingerprint (for failure_history)'),
  workflowPath: z.string().min(1).max(512).optional().describe('e.g. .github/workflows/ci.yml'),
  commitSha: z.string().regex(/^[0-9a-f]{40}$/).optional(),
  branch: z.string().min(1).max(255).optional(),
});
export type McpScope = z.infer<typeof McpScope>;

export const AnalyzeFailureInput = z.strictObject({
  log: z.string().min(1).max(16 * 1024 * 1024).describe('The raw text of a failed job log'),
  repository: z.string().optional(),
});

export interface McpServerOptions {
  version: string;
  sources: (scope: McpScope) => ToolSources;
  redact: Redact;
  policy?: RemediationPolicy;
  /** Per call, as a record's maxInputTokens bounds the model. */
  maxOutputTokens?: number;
}

export function createMcpServer(options: McpServerOptions): McpServer {
  const server = new McpServer({ name: 'ci-remediator', version: options.version });
  const limit = options.maxOutputTokens ?? options.policy?.spec.analysis.maxInputTokens ?? 4_000;

  for (const tool of READ_TOOLS) {
    server.registerTool(
      tool.name,
      { description: tool.description, inputSchema: McpScope.extend(tool.inputSchema.shape), annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: true } },
      async (input: Record<string, unknown>) => {
        const scope = McpScope.parse(Object.fromEntries(Object.entries(input).filter(([key]) => key in McpScope.shape)));
        const args = Object.fromEntries(Object.entries(input).filter(([key]) => !(key in McpScope.shape)));
        const jobId = typeof args.jobId === 'number' ? args.jobId : undefined;
        const session = createToolSession(
          {
            repository: scope.repository,
            fingerprint: scope.fingerprint ?? '',
            jobs: jobId === undefined ? [] : [{ name: `job ${jobId}`, id: jobId, extraction: { keyLine: null, excerpts: [], signals: [], stats: { lines: 0, bytes: 0, truncatedLines: 0 } }, cacheKeys: [] }],
            ...(scope.workflowPath !== undefined && { workflowPath: scope.workflowPath }),
            ...(scope.commitSha !== undefined && { commitSha: scope.commitSha }),
            ...(scope.branch !== undefined && { branch: scope.branch }),
          },
          options.sources(scope),
          new RecordBudget(limit),
          options.redact,
        );
        const text = await session.run(tool.name, args);
        const meta = session.injection.length > 0 ? `\n[suspected prompt injection: ${session.injection.map((s) => `${s.kind} at line ${s.line}`).join('; ')}]` : '';
        return { content: [{ type: 'text' as const, text: text + meta }] };
      },
    );
  }

  server.registerTool(
    'analyze_failure',
    {
      description: 'Classify a failed CI job log with the rules analyzer and gate it under the policy: category, risk, key line, redacted excerpt, proposed remediation, decision. Reads only.',
      inputSchema: AnalyzeFailureInput,
      annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
    },
    async (input: z.infer<typeof AnalyzeFailureInput>) => {
      const report = await analyzeLog(chunks(input.log), { policy: options.policy ?? DEFAULT_POLICY, ...(input.repository !== undefined && { repository: input.repository }) });
      return { content: [{ type: 'text' as const, text: JSON.stringify(reportJson('log', report)) }] };
    },
  );
  return server;
}

async function* chunks(text: string): AsyncIterable<string> {
  yield text;
}
