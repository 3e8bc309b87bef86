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
import { analyzeJobs, evidenceFromRecord } from '../analysis/pipeline.ts';
import { FailureRecord } from '../api/failure-record.ts';
import { describeIssues } from '../api/common.ts';
import { gateStoredAnalysis } from '../policy/stored-gate.ts';
import { gate } from '../policy/gate.ts';

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
  log: z.string().min(1).max(16 * 1024 * 1024).optional().describe('The raw text of a failed job log'),
  record: z
    .strictObject({
      namespace: z.string().min(1).max(63),
      name: z.string().min(1).max(253),
    })
    .optional()
    .describe('A FailureRecord by namespace and name (needs the server started with a kubeconfig)'),
  repository: z.string().optional(),
});

/** Reads a FailureRecord (the raw object) from the cluster; given when `ci-remediator mcp` has a kubeconfig. */
export type RecordReader = (namespace: string, name: string) => Promise<unknown>;

export interface McpServerOptions {
  version: string;
  sources: (scope: McpScope) => ToolSources;
  redact: Redact;
  policy?: RemediationPolicy;
  /** Per call, as a record's maxInputTokens bounds the model. */
  maxOutputTokens?: number;
  /** analyze_failure by record name; without it the tool takes a log only (and says so). */
  readRecord?: RecordReader;
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

  const byRecord = options.readRecord === undefined
    ? ' By record name only when the server is started with a kubeconfig (--kubeconfig or KUBECONFIG); this one was not: pass the log.'
    : ' Or a FailureRecord by namespace and name: its excerpts as the operator analyses them, beside what the operator stored (status.analysis and status.gate).';
  server.registerTool(
    'analyze_failure',
    {
      description: `Classify a failed CI job log with the rules analyzer and gate it under the policy: category, risk, key line, redacted excerpt, proposed remediation, decision.${byRecord} Reads only.`,
      inputSchema: AnalyzeFailureInput,
      annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
    },
    async (input: z.infer<typeof AnalyzeFailureInput>) => {
      if ((input.log === undefined) === (input.record === undefined)) return toolError('analyze_failure takes either log or record (namespace and name), not both or neither.');
      if (input.record !== undefined) {
        if (options.readRecord === undefined) return toolError('analyze_failure by record needs a kubeconfig: start `ci-remediator mcp --kubeconfig PATH` (or set KUBECONFIG), or pass the log.');
        return { content: [{ type: 'text' as const, text: JSON.stringify(await analyzeStoredRecord(options.readRecord, input.record, options.policy ?? DEFAULT_POLICY)) }] };
      }
      const report = await analyzeLog(chunks(input.log!), { policy: options.policy ?? DEFAULT_POLICY, ...(input.repository !== undefined && { repository: input.repository }) });
      return { content: [{ type: 'text' as const, text: JSON.stringify(reportJson('log', report)) }] };
    },
  );
  return server;
}

function toolError(text: string) {
  return { isError: true, content: [{ type: 'text' as const, text }] };
}

/**
 * A record as the operator sees it: its jobs' excerpts through the one pipeline (rules), gated under the
 * server's policy, beside the analysis and gate the operator stored (a model's verdict, its injection spans,
 * and the re-gate of that stored analysis under the same policy). Only reads the record.
 */
async function analyzeStoredRecord(read: RecordReader, ref: { namespace: string; name: string }, policy: RemediationPolicy): Promise<Record<string, unknown>> {
  const raw = await read(ref.namespace, ref.name);
  const parsed = FailureRecord.safeParse(raw);
  if (!parsed.success) throw new Error(`${ref.namespace}/${ref.name} is not a valid FailureRecord: ${describeIssues(parsed.error.issues, raw).slice(0, 3).join('; ')}`);
  const { spec, status } = parsed.data;
  const evidence = await Promise.all(spec.failedJobs.map(async (job) => (await evidenceFromRecord(job)).evidence));
  const result = await analyzeJobs(evidence, { repository: spec.repository, ...(spec.changedFiles !== undefined && { changedFiles: spec.changedFiles }), now: new Date() });
  const changed = spec.changedFiles === undefined ? {} : { changedFiles: [...spec.changedFiles] };
  const rulesGate = gate({ analysis: result.verdict, rulesFloor: result.rules.riskScore, policy, repository: spec.repository, ...changed });
  return {
    record: `${ref.namespace}/${ref.name}`,
    repository: spec.repository,
    phase: status?.phase ?? 'Pending',
    rules: {
      category: result.verdict.category,
      riskScore: result.verdict.riskScore,
      confidence: result.verdict.confidence,
      ...(result.verdict.rule !== undefined && { rule: result.verdict.rule }),
      summary: result.verdict.summary,
      proposedRemediation: result.verdict.proposedRemediation,
      gate: { policy: rulesGate.policy, decision: rulesGate.decision, reasons: rulesGate.reasons },
    },
    ...(status?.analysis !== undefined && {
      stored: {
        analysis: status.analysis,
        ...(status.gate !== undefined && { gate: status.gate }),
        regate: (({ policy: name, decision, reasons }) => ({ policy: name, decision, reasons }))(gateStoredAnalysis({ analysis: status.analysis, repository: spec.repository, ...changed, policy })),
      },
    }),
  };
}

async function* chunks(text: string): AsyncIterable<string> {
  yield text;
}
