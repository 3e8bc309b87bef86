import type { ConditionInput } from '../../api/lifecycle.ts';
import type { FailedJob, FailureRecordSpec } from '../../api/failure-record.ts';
import { addCounts } from './apply.ts';
import { MAX_CACHE_KEY_LENGTH } from '../cache-key-collector.ts';
import { redactText, type RedactOptions } from '../redactor.ts';

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
  const redactions: Record<string, number> = {};
  const text = async (value: string, max: number, count = true): Promise<string> => {
    if (value === '') return value;
    const redacted = await redactText(value, options);
    if (count) addCounts(redactions, redacted.redactions);
    return redacted.text.length > max ? redacted.text.slice(0, max) : redacted.text;
  };
  const optional = async (value: string | undefined, max: number): Promise<string | undefined> => (value === undefined ? undefined : text(value, max));

  const job = async (failed: FailedJob): Promise<FailedJob> => {
    // The key line is usually a line of the excerpt: one occurrence in the log, counted once.
    const start = failed.excerptStartLine ?? 1;
    const keyLineInExcerpt =
      failed.keyLine !== undefined && failed.excerpt !== '' && failed.keyLine.line >= start && failed.keyLine.line < start + failed.excerpt.split('\n').length;
    const failedStep = await optional(failed.failedStep, MAX.name);
    const cacheKeys = failed.cacheKeys === undefined ? undefined : await Promise.all(failed.cacheKeys.map((key) => text(key, MAX_CACHE_KEY_LENGTH)));
    return {
      ...failed,
      name: await text(failed.name, MAX.name),
      url: await text(failed.url, MAX.url),
      ...(failedStep !== undefined && { failedStep }),
      excerpt: await text(failed.excerpt, MAX.excerpt),
      ...(failed.keyLine !== undefined && { keyLine: { line: failed.keyLine.line, text: await text(failed.keyLine.text, MAX.keyLine, !keyLineInExcerpt) } }),
      ...(cacheKeys !== undefined && { cacheKeys: [...new Set(cacheKeys)] }),
    };
  };

  const failedJobs: FailedJob[] = [];
  for (const failed of spec.failedJobs) failedJobs.push(await job(failed));
  const branch = await optional(spec.commit.branch, MAX.branch);
  const author = await optional(spec.commit.author, MAX.author);
  const redacted: FailureRecordSpec = {
    ...spec,
    workflow: {
      ...spec.workflow,
      name: await text(spec.workflow.name, MAX.name),
      path: await text(spec.workflow.path, MAX.path),
      url: await text(spec.workflow.url, MAX.url),
    },
    commit: { ...spec.commit, ...(branch !== undefined && { branch }), ...(author !== undefined && { author }) },
    ...(spec.pullRequest !== undefined && {
      pullRequest: {
        ...spec.pullRequest,
        url: await text(spec.pullRequest.url, MAX.url),
        ...(spec.pullRequest.baseBranch !== undefined && { baseBranch: await text(spec.pullRequest.baseBranch, MAX.branch) }),
      },
    }),
    failedJobs,
    ...(spec.changedFiles !== undefined && { changedFiles: [...new Set(await Promise.all(spec.changedFiles.map((file) => text(file, MAX.changedFile))))] }),
  };
  return { spec: redacted, redactions };
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
