import type { FailureRecordSpec, FailureSource } from '../api/failure-record.ts';
import { MAX_CHANGED_FILES } from '../api/failure-record.ts';
import { errorMessage } from '../errors.ts';
import { GitHubApiError, GitHubLogDownloadError, type GitHubClient, type WorkflowJob } from '../github/client.ts';
import { buildFailureRecordSpec, failedStepOf, selectFailedJobs, type JobReport, type JobSelection } from './failure-record-builder.ts';
import { analyzeJobLog, analyzeJobWithoutLog } from './job-analysis.ts';
import type { RunContext } from './run-context.ts';

/**
 * One failed run attempt, from GitHub to a FailureRecord spec: the steps every source takes (the action on the
 * runner, the operator's webhook receiver and poller), so a failure reported by two of them is the same
 * record, byte for byte apart from `source` and `detectedAt`. The callers add their own framing (the action's
 * log groups and job summary, the operator's logger); the decisions are all here.
 *
 * GitHub API budget per failed run: the job listing (one call per 100 jobs) and one call per failed job's log;
 * the changed files get one more call (100 paths) only when the listing fit in one page, so the total stays
 * within 2 + the number of failed jobs for runs of up to 200 jobs.
 */

/** The action's default for `max-log-bytes`, and what the operator's sources use. */
export const DEFAULT_MAX_LOG_BYTES = 32 * 1024 * 1024;
/** Logs are read to their end to keep their tail; past this many bytes the read stops (and says so). */
export const DOWNLOAD_CEILING = 1024 * 1024 * 1024;
const LOG_CONCURRENCY = 4;
const PAGE_SIZE = 100;

export interface RunReportLog {
  info(message: string): void;
}

/** One failed job as reported: the record's part and what a job summary shows of it. */
export interface JobOutcome {
  report: JobReport;
  summary: {
    name: string;
    url: string;
    conclusion: string;
    category: string;
    reason: string;
    excerpt: string;
    note?: string;
  } & Partial<NonNullable<JobReport['log']>>;
}

export interface ListedJobs {
  jobs: WorkflowJob[];
  selection: JobSelection<WorkflowJob>;
  /** API calls the listing took (it decides whether the changed files fit the budget). */
  listingCalls: number;
}

export async function listFailedJobs(client: GitHubClient, context: RunContext, patterns: readonly string[] = []): Promise<ListedJobs> {
  const before = client.requestCount;
  const jobs = await client.listRunJobs(context.repository, context.runId, context.runAttempt);
  return { jobs, selection: selectFailedJobs(jobs, { patterns }), listingCalls: client.requestCount - before };
}

/** Each selected job's log downloaded, windowed, extracted, redacted and analysed (or, without a log, why). */
export function reportFailedJobs(
  client: GitHubClient,
  context: RunContext,
  jobs: readonly WorkflowJob[],
  options: { maxLogBytes: number; log?: RunReportLog },
): Promise<JobOutcome[]> {
  return pool(jobs, LOG_CONCURRENCY, (job) => reportJob(client, context, job, options));
}

async function reportJob(client: GitHubClient, context: RunContext, job: WorkflowJob, options: { maxLogBytes: number; log?: RunReportLog }): Promise<JobOutcome> {
  const failedStep = failedStepOf(job);
  const facts = { name: job.name, ...(failedStep !== undefined && { failedStep }), conclusion: job.conclusion ?? 'failure' };
  const url = job.html_url ?? `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}/job/${job.id}`;
  try {
    const stream = await client.downloadJobLog(context.repository, job.id, { maxBytes: DOWNLOAD_CEILING });
    const analysed = await analyzeJobLog(stream, facts, { maxBytes: options.maxLogBytes });
    const notes: string[] = [];
    const { omitted } = analysed.log;
    const bytes = analysed.fields.logBytes;
    if (omitted !== null) notes.push(`log of ${mib(bytes)}: lines ${omitted.fromLine}-${omitted.toLine} skipped, head and tail analysed`);
    if (stream.truncated) notes.push(`log read up to ${mib(stream.bytesRead)} only`);
    const note = notes.join('; ');
    options.log?.info(`${job.name}: ${analysed.analysis.category} (${bytes} bytes${note ? `; ${note}` : ''})`);
    return {
      report: { job, analysis: analysed.analysis, log: analysed.fields },
      summary: {
        name: job.name,
        url,
        conclusion: facts.conclusion,
        category: analysed.analysis.category,
        reason: analysed.analysis.summary,
        ...analysed.fields,
        ...(note !== '' && { note }),
      },
    };
  } catch (error) {
    // The job is still reported (its name, step and conclusion say something); the excerpt stays empty.
    const problem = logProblem(error);
    options.log?.info(`${job.name}: no log (${problem})`);
    const analysis = analyzeJobWithoutLog(facts);
    return {
      report: { job, analysis, problem },
      summary: { name: job.name, url, conclusion: facts.conclusion, category: analysis.category, reason: analysis.summary, excerpt: '', note: `log unavailable: ${problem}` },
    };
  }
}

export function logProblem(error: unknown): string {
  if (error instanceof GitHubApiError && (error.status === 404 || error.status === 410)) return 'GitHub no longer has it (expired or deleted)';
  if (error instanceof GitHubApiError && error.status === 403) return 'the token may not read it (actions: read is needed)';
  if (error instanceof GitHubLogDownloadError) return error.message;
  return errorMessage(error);
}

/**
 * The commit's or pull request's changed files, when the API budget allows: one call (100 paths) if the job
 * listing took one page. Without them the record says "unknown" (the field is absent), never "none".
 */
export async function changedFilesWithinBudget(
  client: GitHubClient,
  context: RunContext,
  budget: { listingCalls: number },
  notes: string[],
  log?: RunReportLog,
): Promise<string[] | undefined> {
  if (budget.listingCalls > 1) {
    notes.push(`Changed files not gathered: the job listing took ${budget.listingCalls} API calls, and the report stays within 2 + one call per failed job.`);
    return undefined;
  }
  const target = context.pullRequest !== undefined ? { pullNumber: context.pullRequest.number } : { sha: context.headSha };
  try {
    const changed = await client.listChangedFiles(context.repository, target, { limit: Math.min(PAGE_SIZE, MAX_CHANGED_FILES) });
    if (!changed.complete) notes.push(`Only the first ${changed.files.length} changed files are in the record.`);
    return changed.files;
  } catch (error) {
    notes.push(`Changed files not gathered: ${logProblem(error)}.`);
    log?.info(`Changed files not gathered: ${errorMessage(error)}`);
    return undefined;
  }
}

export interface RunReport {
  spec: FailureRecordSpec;
  outcomes: JobOutcome[];
  /** Jobs whose log could not be read, and why: the record has what is known of them, no excerpt. */
  logProblems: Array<{ job: string; problem: string }>;
  notes: string[];
}

/**
 * The whole report for a source that has no phases to show: list, analyse, changed files, spec. Undefined
 * when the attempt has no failed job to report (a run that failed before any job started, say).
 */
export async function reportRun(
  client: GitHubClient,
  context: RunContext,
  options: { source: FailureSource; detectedAt: Date; maxLogBytes?: number; patterns?: readonly string[]; log?: RunReportLog },
): Promise<RunReport | undefined> {
  const listed = await listFailedJobs(client, context, options.patterns);
  if (listed.selection.selected.length === 0) return undefined;
  const outcomes = await reportFailedJobs(client, context, listed.selection.selected, {
    maxLogBytes: options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES,
    ...(options.log !== undefined && { log: options.log }),
  });
  const notes: string[] = [];
  const changedFiles = await changedFilesWithinBudget(client, context, listed, notes, options.log);
  const spec = buildFailureRecordSpec({
    context,
    source: options.source,
    jobs: outcomes.map((o) => o.report),
    ...(changedFiles !== undefined && { changedFiles }),
    detectedAt: options.detectedAt,
  });
  const logProblems = outcomes.flatMap((o) => (o.report.problem === undefined ? [] : [{ job: o.report.job.name, problem: o.report.problem }]));
  return { spec, outcomes, logProblems, notes };
}

async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]!);
    }),
  );
  return results;
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}
