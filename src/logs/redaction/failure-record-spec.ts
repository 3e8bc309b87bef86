import type { z } from 'zod';
import { describeIssues } from '../../api/common.ts';
import type { ConditionInput } from '../../api/lifecycle.ts';
import type { FailedJob, FailureRecordSpec } from '../../api/failure-record.ts';
import { addCounts } from './apply.ts';
import { MAX_CACHE_KEY_LENGTH } from '../cache-key-collector.ts';
import { redactTexts, type RedactOptions } from '../redactor.ts';

/**
 * Every text field of a FailureRecord spec through the redactor: the one function the action (before it
 * creates or sends a record), the ingest endpoint (before it creates one: the spec is immutable, so the only
 * moment to redact it is before it exists) and the operator (before it copies anything from a spec, which
 * covers records created by hand) share. Pure apart from the redactor; idempotent, so a spec the action
 * already redacted comes back unchanged with no counts.
 *
 * Fields that are text: names, paths, branches, the author, URLs, the excerpt, the key line, cache keys and
 * changed files. The repository, ids, SHAs, timestamps and the fingerprint have patterns that leave no room
 * for a secret. A redacted field is clipped to its schema bound again (a marker can be longer than what it
 * replaced).
 */

export interface RedactedSpec {
  spec: FailureRecordSpec;
  /** Secrets redacted per type over all fields; empty when the spec held none. */
  redactions: Record<string, number>;
}

const MAX = { name: 256, path: 512, url: 2048, branch: 255, author: 256, excerpt: 16_384, keyLine: 4096, changedFile: 1024 } as const;

export async function redactFailureRecordSpec(spec: FailureRecordSpec, options?: RedactOptions): Promise<RedactedSpec> {
  // Two passes over one list of fields: collect every text (with its bound and whether it counts), redact
  // them in one batch, then rebuild the spec from the results in the same order.
  const fields: { value: string; max: number; count: boolean }[] = [];
  const take = (value: string, max: number, count = true): number => fields.push({ value, max, count }) - 1;
  const takeOptional = (value: string | undefined, max: number): number | undefined => (value === undefined ? undefined : take(value, max));

  const workflow = { name: take(spec.workflow.name, MAX.name), path: take(spec.workflow.path, MAX.path), url: take(spec.workflow.url, MAX.url) };
  const commit = { branch: takeOptional(spec.commit.branch, MAX.branch), author: takeOptional(spec.commit.author, MAX.author) };
  const pullRequest = spec.pullRequest && { url: take(spec.pullRequest.url, MAX.url), baseBranch: takeOptional(spec.pullRequest.baseBranch, MAX.branch) };
  const jobs = spec.failedJobs.map((failed) => {
    // The key line is usually a line of the excerpt: one occurrence in the log, counted once.
    const start = failed.excerptStartLine ?? 1;
    const keyLineInExcerpt =
      failed.keyLine !== undefined && failed.excerpt !== '' && failed.keyLine.line >= start && failed.keyLine.line < start + failed.excerpt.split('\n').length;
    return {
      name: take(failed.name, MAX.name),
      url: take(failed.url, MAX.url),
      failedStep: takeOptional(failed.failedStep, MAX.name),
      excerpt: take(failed.excerpt, MAX.excerpt),
      keyLine: failed.keyLine === undefined ? undefined : take(failed.keyLine.text, MAX.keyLine, !keyLineInExcerpt),
      cacheKeys: failed.cacheKeys?.map((key) => take(key, MAX_CACHE_KEY_LENGTH)),
    };
  });
  const changedFiles = spec.changedFiles?.map((file) => take(file, MAX.changedFile));

  const results = await redactTexts(
    fields.map((field) => field.value),
    options,
  );
  const redactions: Record<string, number> = {};
  const out = results.map((result, i) => {
    const field = fields[i]!;
    if (field.count) addCounts(redactions, result.redactions);
    // A marker can be longer than what it replaced: back within the schema's bound.
    return result.text.length > field.max ? result.text.slice(0, field.max) : result.text;
  });
  const at = (index: number): string => out[index]!;
  const atOptional = (index: number | undefined): string | undefined => (index === undefined ? undefined : out[index]);

  const failedJobs: FailedJob[] = spec.failedJobs.map((failed, i) => {
    const job = jobs[i]!;
    const failedStep = atOptional(job.failedStep);
    return {
      ...failed,
      name: at(job.name),
      url: at(job.url),
      ...(failedStep !== undefined && { failedStep }),
      excerpt: at(job.excerpt),
      ...(failed.keyLine !== undefined && job.keyLine !== undefined && { keyLine: { line: failed.keyLine.line, text: at(job.keyLine) } }),
      ...(job.cacheKeys !== undefined && { cacheKeys: [...new Set(job.cacheKeys.map(at))] }),
    };
  });
  const branch = atOptional(commit.branch);
  const author = atOptional(commit.author);
  const baseBranch = atOptional(pullRequest?.baseBranch);
  const redacted: FailureRecordSpec = {
    ...spec,
    workflow: { ...spec.workflow, name: at(workflow.name), path: at(workflow.path), url: at(workflow.url) },
    commit: { ...spec.commit, ...(branch !== undefined && { branch }), ...(author !== undefined && { author }) },
    ...(spec.pullRequest !== undefined &&
      pullRequest !== undefined && { pullRequest: { ...spec.pullRequest, url: at(pullRequest.url), ...(baseBranch !== undefined && { baseBranch }) } }),
    failedJobs,
    ...(changedFiles !== undefined && { changedFiles: [...new Set(changedFiles.map(at))] }),
  };
  return { spec: redacted, redactions };
}

/**
 * describeIssues for a spec, redacted: the sentences quote the offending values (up to 57 characters), and an
 * invalid spec is no less likely to hold a secret than a valid one. For status conditions, logs and answers.
 */
export async function describeSpecIssues(issues: readonly z.core.$ZodIssue[], input: unknown, options?: RedactOptions): Promise<string[]> {
  const details = describeIssues(issues, input);
  return (await redactTexts(details, options)).map((result) => result.text);
}

/** The condition a record gets when its spec held secrets (a record created by hand): type and reason are stable. */
export const UNREDACTED_SPEC_CONDITION = 'SpecRedacted';
export const UNREDACTED_SPEC_REASON = 'SpecHoldsUnredactedText';

/**
 * Says that the stored spec holds unredacted text, of which kinds, and what the operator does about it. The
 * record is analyzed from a redacted copy rather than refused: refusing would leave the failure unhandled and
 * the secret in etcd all the same; only deleting the record removes it, which is the person's call.
 */
export function unredactedSpecCondition(redactions: Readonly<Record<string, number>>, observedGeneration: number): ConditionInput {
  const kinds = Object.entries(redactions)
    .map(([kind, count]) => `${kind} x${count}`)
    .join(', ');
  return {
    type: UNREDACTED_SPEC_CONDITION,
    status: 'True',
    reason: UNREDACTED_SPEC_REASON,
    message:
      `The spec holds unredacted text (${kinds}). The operator analyzes and reports from a redacted copy and writes nothing ` +
      'from the spec unredacted; the spec itself is immutable, so delete this record (and rotate the secret) and report the failure ' +
      'through the action or the ingest endpoint, which redact before creating.',
    observedGeneration,
  };
}
