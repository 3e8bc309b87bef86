/**
 * What the remediation decisions look at, reduced from GitHub's responses to the fields that matter, so the
 * decisions are pure functions of plain values (the executor maps the API's shapes into these).
 */

/** The run a FailureRecord reports: `spec.repository`, `spec.workflow` and `spec.commit`. */
export interface RunTarget {
  /** owner/name */
  repository: string;
  runId: number;
  /** The attempt that failed (the record is about this one). */
  runAttempt: number;
  /** The commit the failed attempt built. */
  sha: string;
  /** Absent for runs without a branch (tags, some dispatches). */
  branch?: string;
}

/** A workflow run (or one attempt of it) as GitHub reports it. */
export interface RunSnapshot {
  /** For `GET /runs/{id}` the latest attempt; for `GET /runs/{id}/attempts/{n}` that attempt. */
  runAttempt: number;
  /** queued, in_progress, completed, waiting, requested, pending. */
  status: string;
  /** Set once completed: success, failure, cancelled, timed_out, neutral, skipped, ... */
  conclusion: string | null;
  /** When the run was first created (re-runs keep it); GitHub re-runs only runs younger than 30 days. */
  createdAt: string;
  headSha: string;
  headBranch: string | null;
}

export interface CacheEntry {
  id: number;
  key: string;
  ref: string;
  sizeInBytes?: number;
}

/** Everything read from GitHub before deciding whether a remediation may run. */
export interface Observation {
  run: RunSnapshot;
  /** For actions that need it: the branch's head commit, `null` when the branch no longer exists. */
  branchHead?: string | null;
  /** For clear-caches: the caches the key prefix matches. */
  caches?: CacheEntry[];
  /** For clear-caches: true when GitHub had more matching caches than were listed. */
  cachesTruncated?: boolean;
}
