import { Readable } from 'node:stream';
import { analyzeRecord } from '../../operator/controllers/analyze-record.ts';
import type { FailureRecordSpec } from '../../src/api/failure-record.ts';
import { DEFAULT_POLICY } from '../../src/policy/default-policy.ts';
import { buildFailureRecordSpec, type RunJob } from '../../src/report/failure-record-builder.ts';
import { analyzeJobLog } from '../../src/report/job-analysis.ts';
import { analyzeLog } from '../../src/report/log-report.ts';
import { runContextFromEnv } from '../../src/report/run-context.ts';

/**
 * The three ways a log reaches an analysis, for the tests that check they agree: the CLI's
 * (`analyze`), the action's (the job's log analysed, then the FailureRecord spec built from it), and the
 * operator's (what the record carries, analysed again). What a user compares is the outcome below.
 */

export interface Outcome {
  category: string;
  riskScore: number;
  confidence: number;
  rule: string | undefined;
  keyLine: { line: number; text: string } | null;
}

/** The action's default `max-log-bytes` (32 MiB). */
const ACTION_MAX_LOG_BYTES = 32 * 1024 * 1024;

let runIds = 7_000_000_000;

/** The run a test record belongs to, as the action reads it from the runner's environment. */
function runContext(repository: string): ReturnType<typeof runContextFromEnv> {
  return runContextFromEnv({
    GITHUB_REPOSITORY: repository,
    GITHUB_RUN_ID: String(++runIds),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'report',
    GITHUB_SHA: 'a'.repeat(40),
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_WORKFLOW: 'CI',
    GITHUB_WORKFLOW_REF: `${repository}/.github/workflows/ci.yml@refs/heads/main`,
    GITHUB_ACTOR: 'octocat',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
  });
}

/** What the action knows of the failed job besides its log; the CLI is told the same with --job and --step. */
export const JOB_FACTS = { name: 'test', failedStep: 'Run the build' } as const;

export async function cliPath(log: string): Promise<Outcome> {
  const report = await analyzeLog(Readable.from([Buffer.from(log)]), { policy: DEFAULT_POLICY, jobName: JOB_FACTS.name, failedStep: JOB_FACTS.failedStep });
  const { analysis } = report;
  return { category: analysis.category, riskScore: analysis.riskScore, confidence: analysis.confidence, rule: analysis.rule, keyLine: report.keyLine };
}

/** The action's path: the job analysed as the action does, and the record spec it would create. */
export async function actionPath(log: string, repository = 'acme/paths'): Promise<{ outcome: Outcome; spec: FailureRecordSpec }> {
  const context = runContext(repository);
  const job: RunJob = {
    id: runIds * 10 + 1,
    name: JOB_FACTS.name,
    status: 'completed',
    conclusion: 'failure',
    html_url: `https://github.com/${repository}/actions/runs/${runIds}/job/${runIds * 10 + 1}`,
    steps: [{ name: JOB_FACTS.failedStep, conclusion: 'failure' }],
  };
  // Chunks of an odd size, as a download arrives: lines cross chunk boundaries.
  const bytes = Buffer.from(log);
  const chunks = Array.from({ length: Math.ceil(bytes.length / 4099) }, (_, i) => bytes.subarray(i * 4099, (i + 1) * 4099));
  const analysed = await analyzeJobLog(Readable.from(chunks), { name: job.name, failedStep: JOB_FACTS.failedStep, conclusion: 'failure' }, { maxBytes: ACTION_MAX_LOG_BYTES });
  const spec = buildFailureRecordSpec({ context, jobs: [{ job, analysis: analysed.analysis, log: analysed.fields }], detectedAt: new Date() });
  const { analysis } = analysed;
  return {
    outcome: { category: analysis.category, riskScore: analysis.riskScore, confidence: analysis.confidence, rule: analysis.rule, keyLine: analysed.fields.keyLine ?? null },
    spec,
  };
}

/** The operator's analysis of a record, without a cluster (the integration test reconciles it for real). */
export async function operatorPurePath(spec: FailureRecordSpec): Promise<Outcome> {
  const status = await analyzeRecord(spec, new Date());
  // The key line the operator analyses is the record's: it never re-derives one.
  return { category: status.category, riskScore: status.riskScore, confidence: status.confidence, rule: status.rule, keyLine: spec.failedJobs[0]!.keyLine ?? null };
}
