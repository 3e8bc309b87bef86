import picomatch from 'picomatch';
import { combineJobs, riskiestJob } from '../analysis/rules.ts';
import type { Analysis } from '../analysis/types.ts';
import { describeIssues } from '../api/common.ts';
import {
  FAILED_JOB_CONCLUSIONS,
  FailureRecordSpec,
  type FailureSource,
  MAX_CHANGED_FILES,
  MAX_FAILED_JOBS,
  type FailedJob,
  type FailedJobConclusion,
} from '../api/failure-record.ts';
import { InputError } from '../errors.ts';
import { clip } from '../text.ts';
import type { JobLogFields } from './job-analysis.ts';
import type { RunContext } from './run-context.ts';

/**
 * From a run's jobs to the FailureRecord spec the action creates: which jobs count as failed, and the
 * spec built from them and their analyses, validated with the CRD's own schema before anything is sent.
 */

export class ReportError extends InputError {
  override readonly code = 'REPORT_INVALID';
}

/** The part of GitHub's job object the selection reads. */
export interface RunJob {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  html_url?: string | null;
  steps?: ReadonlyArray<{ name: string; status?: string; conclusion: string | null; number?: number }> | null;
}

export interface JobSelection<T extends RunJob> {
  /** Failed jobs to report, in the run's order, at most MAX_FAILED_JOBS. */
  selected: T[];
  /** Failed jobs left out, and why (filtered, cancelled as a consequence, over the limit). */
  skipped: Array<{ job: T; reason: string }>;
}

const FAILED: ReadonlySet<string> = new Set(FAILED_JOB_CONCLUSIONS);

/**
 * The failed jobs of an attempt. Only completed jobs count, which leaves out the reporter's own job: it is
 * still running (in_progress) while it reports. Jobs cancelled because a sibling failed (fail-fast) are consequences, not failures: they are
 * reported only when nothing else failed. `patterns` are picomatch globs over job names; `!glob` excludes.
 */
export function selectFailedJobs<T extends RunJob>(jobs: readonly T[], options: { patterns?: readonly string[] } = {}): JobSelection<T> {
  const include = (options.patterns ?? []).filter((p) => !p.startsWith('!'));
  const exclude = (options.patterns ?? []).filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const included = include.length === 0 ? () => true : picomatch(include, { nocase: true });
  const excluded = exclude.length === 0 ? () => false : picomatch(exclude, { nocase: true });
  const skipped: JobSelection<T>['skipped'] = [];

  const failed = jobs.filter((job) => job.status === 'completed' && job.conclusion !== null && FAILED.has(job.conclusion));
  const candidates: T[] = [];
  for (const job of failed) {
    if (!included(job.name) || excluded(job.name)) skipped.push({ job, reason: 'does not match the jobs filter' });
    else candidates.push(job);
  }
  const causes = candidates.filter((job) => job.conclusion !== 'cancelled');
  const chosen = causes.length > 0 ? causes : candidates;
  for (const job of candidates) if (!chosen.includes(job)) skipped.push({ job, reason: 'cancelled after another job failed' });
  for (const job of chosen.slice(MAX_FAILED_JOBS)) skipped.push({ job, reason: `more than ${MAX_FAILED_JOBS} failed jobs` });
  return { selected: chosen.slice(0, MAX_FAILED_JOBS), skipped };
}

/** The first step that failed (or timed out, or was cancelled), for the record and the analyzer. */
export function failedStepOf(job: RunJob): string | undefined {
  const step = (job.steps ?? []).find((s) => s.conclusion !== null && FAILED.has(s.conclusion));
  return step?.name.slice(0, 256) || undefined;
}

/** What the action learnt about one failed job. */
export interface JobReport {
  job: RunJob;
  analysis: Analysis;
  /** What the record says of the log (job-analysis.ts); absent when the log could not be read (then `problem` says why). */
  log?: JobLogFields;
  problem?: string;
}

export interface BuildSpecInput {
  context: RunContext;
  /** Who reports it (default `action`); the only field besides `detectedAt` that differs between sources. */
  source?: FailureSource;
  jobs: readonly JobReport[];
  changedFiles?: readonly string[];
  detectedAt: Date;
}

/** The job whose analysis speaks for the record: the riskiest, the first among equals (the pipeline's rule). */
export function decidingJob(jobs: readonly JobReport[]): JobReport {
  if (jobs.length === 0) throw new ReportError('No failed job to report.');
  return jobs[riskiestJob(jobs.map((job) => job.analysis))]!;
}

/** One line for the action's `summary` output: the record's verdict (the deciding job's, named when several failed). */
export function recordSummary(jobs: readonly JobReport[]): { category: string; summary: string } {
  if (jobs.length === 0) throw new ReportError('No failed job to report.');
  const verdict = combineJobs(jobs.map((job) => job.analysis), jobs.map((job) => job.job.name));
  return { category: verdict.category, summary: clip(verdict.summary.replace(/\s+/g, ' ').trim(), 1024) };
}

export function buildFailureRecordSpec(input: BuildSpecInput): FailureRecordSpec {
  const { context } = input;
  const failedJobs: FailedJob[] = input.jobs.map((report) => failedJob(report, context));
  const changedFiles = input.changedFiles?.filter((path) => path.length > 0 && path.length <= 1024).slice(0, MAX_CHANGED_FILES);
  const spec = {
    source: input.source ?? ('action' as const),
    repository: context.repository,
    workflow: {
      name: context.workflowName.slice(0, 256),
      path: context.workflowPath,
      runId: context.runId,
      runAttempt: context.runAttempt,
      url: context.runUrl,
      event: context.event,
    },
    commit: {
      sha: context.headSha,
      ...(context.branch !== undefined && { branch: context.branch.slice(0, 255) }),
      ...(context.author !== undefined && { author: context.author.slice(0, 256) }),
    },
    ...(context.pullRequest !== undefined && { pullRequest: context.pullRequest }),
    failedJobs,
    ...(changedFiles !== undefined && { changedFiles }),
    detectedAt: input.detectedAt.toISOString(),
    fingerprint: decidingJob(input.jobs).analysis.fingerprint,
  };
  const parsed = FailureRecordSpec.safeParse(spec);
  if (!parsed.success) {
    throw new ReportError(`The FailureRecord would be invalid: ${describeIssues(parsed.error.issues, spec).join('; ')}`);
  }
  return parsed.data;
}

function failedJob(report: JobReport, context: RunContext): FailedJob {
  const { job } = report;
  const { cacheKeys, ...log } = report.log ?? {};
  const failedStep = failedStepOf(job);
  return {
    id: job.id,
    name: job.name.slice(0, 256),
    url: job.html_url ?? `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}/job/${job.id}`,
    ...(failedStep !== undefined && { failedStep }),
    conclusion: job.conclusion as FailedJobConclusion,
    excerpt: '',
    logBytes: 0,
    ...log,
    ...(cacheKeys !== undefined && cacheKeys.length > 0 && { cacheKeys: [...cacheKeys] }),
  };
}

