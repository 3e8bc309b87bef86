import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as core from '@actions/core';
import { stringify as stringifyYaml } from 'yaml';
import type { FailureRecordSpec } from '../src/api/failure-record.ts';
import { MAX_CHANGED_FILES } from '../src/api/failure-record.ts';
import { errorMessage } from '../src/errors.ts';
import { createGitHubClient, GitHubApiError, GitHubLogDownloadError, type GitHubClient, type WorkflowJob } from '../src/github/client.ts';
import { failureRecordObject } from '../src/ingest/ingest-request.ts';
import {
  buildFailureRecordSpec,
  failedStepOf,
  recordSummary,
  selectFailedJobs,
  type JobReport,
} from '../src/report/failure-record-builder.ts';
import { analyzeJobLog, analyzeJobWithoutLog } from '../src/report/job-analysis.ts';
import { runContextFromEnv, type EventPayload, type RunContext } from '../src/report/run-context.ts';
import { OUTPUT, readFailOnError, readInputs, type ActionInputs } from './inputs.ts';
import { createInKubernetes, loadKubeconfig, postToEndpoint, resolveNamespace, type Delivered } from './report.ts';
import { writeSummary, type SummaryJob } from './summary.ts';
import { redactFailureRecordSpec } from '../src/logs/redaction/failure-record-spec.ts';

/**
 * The action: list this run attempt's jobs, pick the failed ones, download and analyse each log, gather the
 * changed files, build the FailureRecord and deliver it (or print it, dry run), then write the outputs and the
 * job summary. The only place that calls core.setFailed; every problem is a warning unless `fail-on-error`.
 *
 * GitHub API budget per failed run: the job listing (one call per 100 jobs) and one call per failed job's log;
 * the changed files get one more call (100 paths) only when the listing fit in one page, so the total stays
 * within 2 + the number of failed jobs for runs of up to 200 jobs.
 */

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  /** fetch for GitHub and the ingest endpoint (tests; the default is the global one). */
  fetch?: typeof fetch;
}

export type Outcome = 'created' | 'exists' | 'dry-run' | 'nothing-to-report' | 'failed';

export interface ActionResult {
  outcome: Outcome;
  recordName?: string;
  namespace?: string;
  category?: string;
  summary?: string;
  spec?: FailureRecordSpec;
  /** Failed jobs reported. */
  jobs: number;
  /** GitHub API requests made (log blob downloads not counted: they are not API calls). */
  githubRequests: number;
  timings: Timings;
  error?: string;
}

export interface Timings {
  totalMs: number;
  /** Downloading and analysing the logs (streamed together, so measured together). */
  logsMs: number;
  listJobsMs: number;
  changedFilesMs: number;
  deliverMs: number;
}

/** Logs are read to their end to keep their tail; past this many bytes the read stops (and says so). */
const DOWNLOAD_CEILING = 1024 * 1024 * 1024;
const LOG_CONCURRENCY = 4;
const PAGE_SIZE = 100;

export async function run(options: RunOptions = {}): Promise<ActionResult> {
  const started = performance.now();
  const timings: Timings = { totalMs: 0, logsMs: 0, listJobsMs: 0, changedFilesMs: 0, deliverMs: 0 };
  const state: { client?: GitHubClient } = {};
  const { failOnError, problem } = readFailOnError();
  let result: ActionResult;
  try {
    if (problem !== undefined) throw new Error(problem);
    result = await report(options, timings, state);
  } catch (error) {
    const message = errorMessage(error);
    if (failOnError) core.setFailed(`ci-remediator could not report this failure: ${message}`);
    else core.warning(`ci-remediator could not report this failure (the step still succeeds; set fail-on-error to fail it): ${message}`);
    result = { outcome: 'failed', jobs: 0, githubRequests: 0, timings, error: message };
  }
  result.githubRequests = state.client?.requestCount ?? 0;
  timings.totalMs = Math.round(performance.now() - started);
  core.info(
    `ci-remediator: ${result.outcome} in ${timings.totalMs} ms (logs ${timings.logsMs} ms, job listing ${timings.listJobsMs} ms, ` +
      `changed files ${timings.changedFilesMs} ms, delivery ${timings.deliverMs} ms), ${result.githubRequests} GitHub API requests`,
  );
  return result;
}

async function report(options: RunOptions, timings: Timings, state: { client?: GitHubClient }): Promise<ActionResult> {
  const env = options.env ?? process.env;
  const now = options.now ?? (() => new Date());
  const inputs = readInputs();
  const context = runContextFromEnv(env, readEvent(env.GITHUB_EVENT_PATH));
  const client = createGitHubClient({
    baseUrl: context.apiUrl,
    auth: { token: inputs.githubToken },
    userAgent: 'ci-remediator-action',
    // Rate-limit waits are worth a line in the log, not a warning annotation on the run.
    log: { warn: (message) => core.info(message), debug: (message) => core.debug(message) },
    ...(options.fetch !== undefined && { request: { fetch: options.fetch } }),
  });
  state.client = client;

  const jobs = await timed(timings, 'listJobsMs', () =>
    core.group(`Jobs of ${context.repository} run ${context.runId} attempt ${context.runAttempt}`, async () => {
      const listed = await client.listRunJobs(context.repository, context.runId, context.runAttempt);
      core.info(`${listed.length} jobs`);
      return listed;
    }),
  );
  const listingCalls = client.requestCount;
  const selection = selectFailedJobs(jobs, { patterns: inputs.jobs });
  const skipped = selection.skipped.map(({ job, reason }) => ({ name: job.name, reason }));
  if (selection.selected.length === 0) {
    core.info('No failed job to report in this run attempt.');
    await writeSummarySafely({ repository: context.repository, runUrl: context.runUrl, dryRun: inputs.dryRun, jobs: [], skipped, notes: ['No failed job to report.'] });
    return { outcome: 'nothing-to-report', jobs: 0, githubRequests: 0, timings };
  }

  const reports = await timed(timings, 'logsMs', () =>
    core.group(`Logs of ${selection.selected.length} failed job(s)`, () => pool(selection.selected, LOG_CONCURRENCY, (job) => reportJob(client, context, job, inputs))),
  );

  const notes: string[] = [];
  const changedFiles = await timed(timings, 'changedFilesMs', () =>
    changedFilesWithinBudget(client, context, { listingCalls }, notes),
  );

  // Every text field once more through the redactor (names, branches, changed files, not only the logs):
  // the same function the ingest endpoint and the operator run.
  const { spec } = await redactFailureRecordSpec(
    buildFailureRecordSpec({ context, jobs: reports.map((r) => r.report), ...(changedFiles !== undefined && { changedFiles }), detectedAt: now() }),
  );
  const { category, summary } = recordSummary(reports.map((r) => r.report));
  const summaryJobs = reports.map((r) => r.summary);

  let delivered: Delivered | undefined;
  let recordName: string;
  let namespace: string | undefined;
  if (inputs.dryRun) {
    const object = failureRecordObject(spec, inputs.namespace ?? '');
    recordName = object.metadata.name;
    const { metadata, ...rest } = object;
    const printable = { ...rest, metadata: inputs.namespace === undefined ? { name: metadata.name } : metadata };
    core.info(`Dry run: this FailureRecord would be ${inputs.mode === 'endpoint' ? 'sent to the ingest endpoint' : 'created'}:`);
    // YAML, as `kubectl apply -f` takes it; multi-line strings double-quoted on one line, so no log line can
    // start a line of its own and be read by the runner as a workflow command (`::add-mask::`, `::error::`).
    core.info(stringifyYaml(printable, { blockQuote: false, lineWidth: 0, doubleQuotedAsJSON: true }));
  } else {
    delivered = await timed(timings, 'deliverMs', () => core.group('Deliver the FailureRecord', () => deliver(spec, inputs, options)));
    recordName = delivered.name;
    namespace = delivered.namespace;
    core.info(`FailureRecord ${delivered.namespace}/${delivered.name} ${delivered.created ? 'created' : 'already existed'}.`);
  }

  core.setOutput(OUTPUT.recordName, recordName);
  core.setOutput(OUTPUT.category, category);
  core.setOutput(OUTPUT.summary, summary);
  await writeSummarySafely({
    repository: context.repository,
    runUrl: context.runUrl,
    ...(delivered !== undefined && { record: { ...delivered, mode: inputs.mode } }),
    recordName,
    dryRun: inputs.dryRun,
    category,
    summary,
    jobs: summaryJobs,
    skipped,
    notes,
  });
  return {
    outcome: inputs.dryRun ? 'dry-run' : delivered!.created ? 'created' : 'exists',
    recordName,
    ...(namespace !== undefined && { namespace }),
    category,
    summary,
    spec,
    jobs: reports.length,
    githubRequests: 0,
    timings,
  };
}

/** One failed job: its log downloaded, windowed, extracted, redacted and analysed; or, without a log, why. */
async function reportJob(client: GitHubClient, context: RunContext, job: WorkflowJob, inputs: ActionInputs): Promise<{ report: JobReport; summary: SummaryJob }> {
  const failedStep = failedStepOf(job);
  const facts = { name: job.name, ...(failedStep !== undefined && { failedStep }), conclusion: job.conclusion ?? 'failure' };
  const url = job.html_url ?? `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}/job/${job.id}`;
  try {
    const stream = await client.downloadJobLog(context.repository, job.id, { maxBytes: DOWNLOAD_CEILING });
    const analysed = await analyzeJobLog(stream, facts, { maxBytes: inputs.maxLogBytes });
    const notes: string[] = [];
    const { omitted } = analysed.log;
    const bytes = analysed.fields.logBytes;
    if (omitted !== null) notes.push(`log of ${mib(bytes)}: lines ${omitted.fromLine}-${omitted.toLine} skipped, head and tail analysed`);
    if (stream.truncated) notes.push(`log read up to ${mib(stream.bytesRead)} only`);
    const note = notes.join('; ');
    core.info(`${job.name}: ${analysed.analysis.category} (${bytes} bytes${note ? `; ${note}` : ''})`);
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
    core.info(`${job.name}: no log (${problem})`);
    const analysis = analyzeJobWithoutLog(facts);
    return {
      report: { job, analysis, problem },
      summary: { name: job.name, url, conclusion: facts.conclusion, category: analysis.category, reason: analysis.summary, excerpt: '', note: `log unavailable: ${problem}` },
    };
  }
}

function logProblem(error: unknown): string {
  if (error instanceof GitHubApiError && (error.status === 404 || error.status === 410)) return 'GitHub no longer has it (expired or deleted)';
  if (error instanceof GitHubApiError && error.status === 403) return 'the token may not read it (actions: read is needed)';
  if (error instanceof GitHubLogDownloadError) return error.message;
  return errorMessage(error);
}

/**
 * The commit's or pull request's changed files, when the API budget allows: one call (100 paths) if the job
 * listing took one page. Without them the record says "unknown" (the field is absent), never "none".
 */
async function changedFilesWithinBudget(
  client: GitHubClient,
  context: RunContext,
  budget: { listingCalls: number },
  notes: string[],
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
    core.info(`Changed files not gathered: ${errorMessage(error)}`);
    return undefined;
  }
}

async function deliver(spec: FailureRecordSpec, inputs: ActionInputs, options: RunOptions): Promise<Delivered> {
  if (inputs.mode === 'endpoint') {
    return postToEndpoint(
      spec,
      { url: inputs.endpoint!, secret: inputs.signingSecret!, ...(inputs.namespace !== undefined && { namespace: inputs.namespace }) },
      { ...(options.fetch !== undefined && { fetch: options.fetch }), ...(options.now !== undefined && { now: options.now }) },
    );
  }
  const kubeconfig = loadKubeconfig(inputs.kubeconfig, options.env ?? process.env);
  return createInKubernetes(spec, { kubeconfig, namespace: resolveNamespace(kubeconfig, inputs.namespace) });
}

function readEvent(path: string | undefined): EventPayload {
  if (path === undefined || path === '') return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as EventPayload;
  } catch (error) {
    core.debug(`Cannot read the event payload at ${path}: ${errorMessage(error)}`);
    return {};
  }
}

/** A summary that cannot be written (no GITHUB_STEP_SUMMARY outside a runner) is not a failed report. */
async function writeSummarySafely(input: Parameters<typeof writeSummary>[0]): Promise<void> {
  try {
    await writeSummary(input);
  } catch (error) {
    core.info(`Job summary not written: ${errorMessage(error)}`);
  }
}

async function timed<T>(timings: Timings, key: Exclude<keyof Timings, 'totalMs'>, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    timings[key] += Math.round(performance.now() - start);
  }
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
