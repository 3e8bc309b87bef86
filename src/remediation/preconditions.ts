import type { RemediationAction } from '../analysis/taxonomy.ts';
import { CACHE_KEY_PREFIX_PARAM, CATALOG } from './catalog.ts';
import type { Observation, RunTarget } from './types.ts';

/**
 * Whether a remediation may run now, decided from what GitHub just returned. Pure: the caller passes the
 * clock. Every refusal is a sentence the person reading `kubectl describe` or the audit log understands
 * without knowing the code.
 *
 * These checks are also what makes a second call after a crash safe (docs/operator.md, "At most once"):
 * "the record's attempt is still the run's latest, and the run is finished" is false as soon as any re-run
 * of it has been accepted, because GitHub creates the new attempt when it accepts the request.
 */

/** GitHub's limit, with one attempt to spare for a person: a run attempted this often is not re-run automatically. */
const MAX_RUN_ATTEMPTS = 50;
/** GitHub re-runs a workflow only within 30 days of its creation. */
const MAX_RUN_AGE_MS = 30 * 24 * 60 * 60 * 1000;
/** More matching caches than this means the prefix is too broad to clear unattended. */
export const MAX_CACHES_TO_CLEAR = 50;

/** Run conclusions with nothing to re-run. */
const NOTHING_FAILED = new Set(['success', 'neutral', 'skipped']);

export type PreconditionVerdict =
  | { verdict: 'go' }
  /** Not yet: come back later (the run is still going). */
  | { verdict: 'wait'; reason: string }
  | { verdict: 'refuse'; reasons: string[] };

export interface PreconditionInput {
  action: RemediationAction;
  target: RunTarget;
  observation: Observation;
  /** `status.analysis.proposedRemediation.params`. */
  params?: Readonly<Record<string, string>>;
  /** Set when the record's policy, as it is now, no longer lets this run without a person. */
  policyRefusal?: string;
  now: Date;
  /** After this, a run that is still going is no longer waited for: the remediation is refused. */
  waitUntil: Date;
}

export function checkPreconditions(input: PreconditionInput): PreconditionVerdict {
  const { action, target, observation, now } = input;
  const entry = CATALOG[action];
  const reasons: string[] = [];
  if (input.policyRefusal !== undefined) reasons.push(input.policyRefusal);
  if (!entry.mutates) return reasons.length > 0 ? { verdict: 'refuse', reasons } : { verdict: 'go' };

  const { run } = observation;
  const runName = `run ${target.runId} of ${target.repository}`;
  if (run.runAttempt > target.runAttempt) {
    reasons.push(
      `${runName} has been re-run since this failure was reported: its latest attempt is ${run.runAttempt}, this record is about attempt ${target.runAttempt}, so re-running it again would repeat a re-run someone already made`,
    );
  } else if (run.runAttempt < target.runAttempt) {
    reasons.push(`GitHub reports attempt ${run.runAttempt} as the latest of ${runName}, older than the attempt ${target.runAttempt} this record is about; the record does not match the run`);
  }
  if (run.runAttempt >= MAX_RUN_ATTEMPTS) {
    reasons.push(`${runName} has already been attempted ${run.runAttempt} times; from ${MAX_RUN_ATTEMPTS} attempts on it is not re-run automatically (GitHub allows few more)`);
  }
  const created = Date.parse(run.createdAt);
  if (!Number.isNaN(created) && now.getTime() - created >= MAX_RUN_AGE_MS) {
    const days = Math.floor((now.getTime() - created) / (24 * 60 * 60 * 1000));
    reasons.push(`${runName} was created ${days} days ago; GitHub re-runs only runs from the last 30 days`);
  }
  if (run.headSha !== target.sha) {
    reasons.push(`${runName} built commit ${short(run.headSha)}, but this record reports commit ${short(target.sha)}; the record does not match the run`);
  }
  if (run.status === 'completed' && run.conclusion !== null && NOTHING_FAILED.has(run.conclusion) && run.runAttempt === target.runAttempt) {
    reasons.push(`${runName} ended '${run.conclusion}': it has no failed jobs to re-run`);
  }
  if (entry.requiresUnchangedBranch && target.branch !== undefined) {
    const head = observation.branchHead;
    if (head === null) {
      reasons.push(`branch '${target.branch}' no longer exists; re-running the whole workflow would build a commit nobody is working on`);
    } else if (head !== undefined && head !== run.headSha) {
      reasons.push(
        `branch '${target.branch}' has moved from ${short(run.headSha)} (the failed run's commit) to ${short(head)}; re-running the whole workflow would build the old commit again, and the new commit's own run is what counts`,
      );
    }
  }
  if (entry.clearsCaches) {
    const prefix = cacheKeyPrefix(input.params);
    if (prefix === undefined) {
      reasons.push(
        `clear-caches needs the cache key prefix to clear (proposedRemediation.params.${CACHE_KEY_PREFIX_PARAM}) and the analysis gave none; clearing every cache of the repository is not done automatically`,
      );
    } else if (observation.cachesTruncated === true || (observation.caches?.length ?? 0) > MAX_CACHES_TO_CLEAR) {
      const count = `${observation.cachesTruncated === true ? 'more than ' : ''}${observation.caches?.length ?? 0}`;
      reasons.push(`the key prefix '${prefix}' matches ${count} caches; more than ${MAX_CACHES_TO_CLEAR} is too broad to clear automatically`);
    }
  }
  if (reasons.length > 0) return { verdict: 'refuse', reasons };

  if (run.status !== 'completed') {
    if (now.getTime() >= input.waitUntil.getTime()) {
      return { verdict: 'refuse', reasons: [`${runName} was still '${run.status}' at ${input.waitUntil.toISOString()}; GitHub re-runs only a finished run, and this one was waited for long enough`] };
    }
    // The reporting action runs as the run's last job, so the run is usually still finishing when the record arrives.
    return { verdict: 'wait', reason: `${runName} is still '${run.status}'; GitHub re-runs only a finished run, so the remediation waits for it to finish` };
  }
  return { verdict: 'go' };
}

/** The cache key prefix clear-caches deletes by, or undefined when the proposal has none (blank counts as none). */
export function cacheKeyPrefix(params: Readonly<Record<string, string>> | undefined): string | undefined {
  const value = params?.[CACHE_KEY_PREFIX_PARAM]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Which caches clear-caches deletes: exactly those whose key starts with the prefix (GitHub's `key` filter is a prefix match too; this does not trust it). */
export function cachesToDelete<T extends { key: string }>(caches: readonly T[], prefix: string): T[] {
  return caches.filter((cache) => cache.key.startsWith(prefix));
}

function short(sha: string): string {
  return sha.slice(0, 7);
}
