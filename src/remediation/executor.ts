import type { RemediationAction } from '../analysis/taxonomy.ts';
import { GitHubApiError, GitHubRateLimitError, type GitHubClient, type WorkflowRun } from '../github/client.ts';
import { CATALOG } from './catalog.ts';
import { cacheKeyPrefix, cachesToDelete, MAX_CACHES_TO_CLEAR } from './preconditions.ts';
import type { CacheEntry, Observation, RunSnapshot, RunTarget } from './types.ts';
import { expectedNewAttempt, findEffect } from './verification.ts';

/**
 * The remediation catalog's GitHub I/O, and nothing else: reads what the decisions need, makes the calls,
 * reports what happened. Whether to call, and what a result means for the record, is decided by the pure
 * functions next to it (preconditions.ts, verification.ts, plan.ts) and by the operator's reconciler, which
 * records the intent before `execute` and never calls it twice for one intent without `findEffect` first.
 *
 * Calls per remediation: observe (1 GET; +1 for the branch head with rerun-workflow, +1 listing caches with
 * clear-caches), execute (1 POST; +1 DELETE per cache with clear-caches), then one conditional GET per
 * verification poll, which GitHub answers 304 while nothing changed.
 */

export type ExecutorClient = Pick<GitHubClient, 'getRun' | 'getRunAttempt' | 'rerunFailedJobs' | 'rerunWorkflow' | 'cancelRun' | 'listCaches' | 'deleteCache' | 'getBranchHead'>;

export interface ExecuteResult {
  /** The attempt the re-run created (verification follows it). */
  newRunAttempt: number | undefined;
  /** What was done, for status.execution.output and the audit row. */
  output: string;
  /** GitHub calls that changed something, e.g. `POST /repos/acme/web/actions/runs/1/rerun-failed-jobs`. */
  calls: string[];
  deletedCaches?: { id: number; key: string }[];
}

export interface PollResult {
  notModified: boolean;
  etag?: string;
  run?: RunSnapshot;
}

/** How a GitHub failure should be treated by the caller. */
export type FailureKind =
  /** GitHub refused the request (4xx other than rate limits): calling again would be refused again. */
  | 'refused'
  /** The resource is gone (404). */
  | 'not-found'
  /** 5xx, no response, rate limited: the outcome is unknown or temporary; look for the effect, then retry. */
  | 'transient';

export function classifyGitHubFailure(error: unknown): FailureKind {
  if (error instanceof GitHubRateLimitError) return 'transient';
  if (error instanceof GitHubApiError) {
    if (error.status === 404) return 'not-found';
    if (error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429) return 'refused';
  }
  return 'transient';
}

export class RemediationExecutor {
  readonly #client: ExecutorClient;

  constructor(client: ExecutorClient) {
    this.#client = client;
  }

  /** Everything the preconditions of `action` look at, read from GitHub. */
  async observe(action: RemediationAction, target: RunTarget, params?: Readonly<Record<string, string>>): Promise<Observation> {
    const entry = CATALOG[action];
    const run = toSnapshot(await this.#client.getRun(target.repository, target.runId));
    const observation: Observation = { run };
    if (entry.requiresUnchangedBranch && target.branch !== undefined) {
      try {
        observation.branchHead = await this.#client.getBranchHead(target.repository, target.branch);
      } catch (error) {
        if (classifyGitHubFailure(error) !== 'not-found') throw error;
        observation.branchHead = null;
      }
    }
    const prefix = entry.clearsCaches ? cacheKeyPrefix(params) : undefined;
    if (prefix !== undefined) {
      // One more than may be cleared is enough to refuse: listing every cache of a broad prefix is not needed.
      const listed = await this.#client.listCaches(target.repository, { keyPrefix: prefix, limit: MAX_CACHES_TO_CLEAR + 1 });
      const caches: CacheEntry[] = cachesToDelete(
        listed.map((cache) => ({ id: cache.id ?? 0, key: cache.key ?? '', ref: cache.ref ?? '', ...(cache.size_in_bytes !== undefined && { sizeInBytes: cache.size_in_bytes }) })),
        prefix,
      ).filter((cache) => cache.id > 0);
      // The listing stopped at the limit, so GitHub may have more: what was listed past the maximum is dropped.
      observation.cachesTruncated = listed.length > MAX_CACHES_TO_CLEAR;
      observation.caches = observation.cachesTruncated ? caches.slice(0, MAX_CACHES_TO_CLEAR) : caches;
    }
    return observation;
  }

  /**
   * Makes the change. Call only after the intent is recorded and the preconditions held on a fresh
   * observation. Throws GitHub's error unchanged; the caller classifies it (classifyGitHubFailure) and, for
   * anything but a refusal, looks for the effect before deciding anything.
   */
  async execute(action: RemediationAction, target: RunTarget, observation: Observation): Promise<ExecuteResult> {
    const entry = CATALOG[action];
    const runPath = `/repos/${target.repository}/actions/runs/${target.runId}`;
    const calls: string[] = [];
    const notes: string[] = [];
    let deletedCaches: { id: number; key: string }[] | undefined;
    if (entry.clearsCaches) {
      deletedCaches = [];
      for (const cache of observation.caches ?? []) {
        // Deleting is idempotent (a cache already gone is not an error), so a repeat after a crash is harmless.
        const deleted = await this.#client.deleteCache(target.repository, cache.id);
        calls.push(`DELETE /repos/${target.repository}/actions/caches/${cache.id}`);
        if (deleted) deletedCaches.push({ id: cache.id, key: cache.key });
      }
      notes.push(
        deletedCaches.length === 0
          ? 'no cache matched the key prefix (they may have expired); re-running the failed jobs'
          : `deleted ${deletedCaches.length} cache(s): ${deletedCaches.map((cache) => cache.key).join(', ')}`,
      );
    }
    if (entry.rerun === 'failed-jobs') {
      await this.#client.rerunFailedJobs(target.repository, target.runId);
      calls.push(`POST ${runPath}/rerun-failed-jobs`);
    } else if (entry.rerun === 'workflow') {
      await this.#client.rerunWorkflow(target.repository, target.runId);
      calls.push(`POST ${runPath}/rerun`);
    }
    const newRunAttempt = entry.rerun === undefined ? undefined : expectedNewAttempt(target);
    if (newRunAttempt !== undefined) notes.push(`GitHub accepted the re-run: attempt ${newRunAttempt}`);
    return { newRunAttempt, output: notes.join('; '), calls, ...(deletedCaches !== undefined && { deletedCaches }) };
  }

  /** The new attempt a re-run created, if GitHub shows one (with the latest run as read). */
  async findEffect(target: RunTarget): Promise<{ newRunAttempt: number | undefined; run: RunSnapshot }> {
    const run = toSnapshot(await this.#client.getRun(target.repository, target.runId));
    return { newRunAttempt: findEffect(target, run), run };
  }

  /** One conditional read of the attempt being verified. */
  async poll(target: RunTarget, attempt: number, etag: string | undefined): Promise<PollResult> {
    const result = await this.#client.getRunAttempt(target.repository, target.runId, attempt, etag === undefined ? {} : { etag });
    return {
      notModified: result.notModified,
      ...(result.etag !== undefined && { etag: result.etag }),
      ...(result.run !== undefined && { run: toSnapshot(result.run) }),
    };
  }

  /**
   * Cancels the run's attempt in progress. Returns false when there was nothing to cancel (GitHub answers
   * 409 for a run that already finished), so the caller can tell a rollback from a run that ended by itself.
   */
  async cancel(target: RunTarget): Promise<boolean> {
    try {
      await this.#client.cancelRun(target.repository, target.runId);
      return true;
    } catch (error) {
      if (error instanceof GitHubApiError && error.status === 409) return false;
      throw error;
    }
  }
}

export function toSnapshot(run: Pick<WorkflowRun, 'run_attempt' | 'status' | 'conclusion' | 'created_at' | 'head_sha' | 'head_branch'>): RunSnapshot {
  return {
    runAttempt: run.run_attempt ?? 1,
    status: run.status ?? 'unknown',
    conclusion: run.conclusion ?? null,
    createdAt: run.created_at,
    headSha: run.head_sha,
    headBranch: run.head_branch ?? null,
  };
}
