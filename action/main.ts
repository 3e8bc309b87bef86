import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as core from '@actions/core';
import { stringify as stringifyYaml } from 'yaml';
import type { FailureRecordSpec } from '../src/api/failure-record.ts';
import { errorMessage } from '../src/errors.ts';
import { createGitHubClient, type GitHubClient } from '../src/github/client.ts';
import { failureRecordObject } from '../src/ingest/ingest-request.ts';
import { buildFailureRecordSpec, recordSummary } from '../src/report/failure-record-builder.ts';
import { runContextFromEnv, type EventPayload } from '../src/report/run-context.ts';
import { changedFilesWithinBudget, listFailedJobs, reportFailedJobs } from '../src/report/run-report.ts';
import { OUTPUT, readFailOnError, readInputs, type ActionInputs } from './inputs.ts';
import { createInKubernetes, loadKubeconfig, postToEndpoint, resolveNamespace, type Delivered } from './report.ts';
import { writeSummary } from './summary.ts';
import { redactFailureRecordSpec } from '../src/logs/redaction/failure-record-spec.ts';

/**
 * The action: list this run attempt's jobs, pick the failed ones, download and analyse each log, gather the
 * changed files, build the FailureRecord and deliver it (or print it, dry run), then write the outputs and the
 * job summary. The only place that calls core.setFailed; every problem is a warning unless `fail-on-error`.
 *
 * The steps themselves are src/report/run-report.ts, shared with the operator's webhook receiver and poller
 * (so every source creates the same record); this file adds the log groups, outputs and job summary.
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

  const listed = await timed(timings, 'listJobsMs', () =>
    core.group(`Jobs of ${context.repository} run ${context.runId} attempt ${context.runAttempt}`, async () => {
      const result = await listFailedJobs(client, context, inputs.jobs);
      core.info(`${result.jobs.length} jobs`);
      return result;
    }),
  );
  const { selection } = listed;
  const skipped = selection.skipped.map(({ job, reason }) => ({ name: job.name, reason }));
  if (selection.selected.length === 0) {
    core.info('No failed job to report in this run attempt.');
    await writeSummarySafely({ repository: context.repository, runUrl: context.runUrl, dryRun: inputs.dryRun, jobs: [], skipped, notes: ['No failed job to report.'] });
    return { outcome: 'nothing-to-report', jobs: 0, githubRequests: 0, timings };
  }

  const reports = await timed(timings, 'logsMs', () =>
    core.group(`Logs of ${selection.selected.length} failed job(s)`, () =>
      reportFailedJobs(client, context, selection.selected, { maxLogBytes: inputs.maxLogBytes, log: { info: (message) => core.info(message) } }),
    ),
  );

  const notes: string[] = [];
  const changedFiles = await timed(timings, 'changedFilesMs', () =>
    changedFilesWithinBudget(client, context, listed, notes, { info: (message) => core.info(message) }),
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
