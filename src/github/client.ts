import { createAppAuth } from '@octokit/auth-app';
import type { components } from '@octokit/openapi-types';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck/light.js';
import { parseRepositoryName, REPOSITORY_FORMAT } from '../api/common.ts';
import { InputError } from '../errors.ts';
import { GitHubApiError, GitHubLogDownloadError, GitHubRateLimitError } from './errors.ts';
import { type JobLogStream, openLogBody } from './log-stream.ts';

export { GitHubApiError, GitHubLogDownloadError, GitHubRateLimitError } from './errors.ts';
export type { JobLogStream } from './log-stream.ts';

type Schemas = components['schemas'];

/** GitHub's `job` schema; int64 ids arrive as numbers (they are far below 2^53) and are typed so. */
export type WorkflowJob = Omit<Schemas['job'], 'id' | 'run_id'> & { id: number; run_id: number };
/** GitHub's `workflow-run` schema with numeric ids. */
export type WorkflowRun = Omit<Schemas['workflow-run'], 'id' | 'check_suite_id'> & { id: number; check_suite_id?: number };
/** One entry of GitHub's `actions-cache-list`. */
export type ActionsCache = Schemas['actions-cache-list']['actions_caches'][number];

interface GitHubTokenAuth {
  /** A PAT, the workflow's GITHUB_TOKEN or an installation token. */
  token: string;
}

interface GitHubAppAuth {
  appId: string | number;
  /** The App's PEM private key (PKCS#1 as GitHub issues it, or PKCS#8). */
  privateKey: string;
  installationId: number;
}

export interface GitHubClientLog {
  warn(message: string): void;
  debug(message: string): void;
}

export interface GitHubClientOptions {
  /** REST API root: https://api.github.com (default), or https://HOST/api/v3 for GitHub Enterprise Server. */
  baseUrl?: string;
  auth: GitHubTokenAuth | GitHubAppAuth;
  userAgent?: string;
  /** Retries for 5xx and network errors (plugin-retry), and for rate limits we agree to wait for. Default 3. */
  maxRetries?: number;
  /**
   * Longest wait, in seconds, the client accepts when GitHub says "rate limited, come back in N s". Longer
   * waits fail at once with GitHubRateLimitError naming the reset time. Default 60.
   */
  maxRateLimitWaitSeconds?: number;
  log?: GitHubClientLog;
  /** Told the HTTP status of every answer (`network` when none came) and what was asked, retries included: for metrics and alerts. */
  onResponse?: (code: string, request: { method: string; path: string }) => void;
  request?: { fetch?: typeof fetch };
  /**
   * Time units, for tests. plugin-retry waits retryCount² × `retryBaseDelayMs` (default 1000) before a
   * retry; plugin-throttling waits GitHub's seconds × `rateLimitDelayUnitMs` (default 1000) and spaces
   * mutations (POST/DELETE) `writeSpacingMs` apart (default 1000, GitHub's guidance against secondary limits).
   */
  timing?: { retryBaseDelayMs?: number; rateLimitDelayUnitMs?: number; writeSpacingMs?: number };
}

export interface RunAttemptResult {
  /** True when GitHub answered 304 to our If-None-Match: nothing changed since `etag`. */
  notModified: boolean;
  /** The ETag to send next time (the one we sent when notModified). */
  etag?: string;
  run?: WorkflowRun;
}

export interface RunListResult {
  /** True when GitHub answered 304 to our If-None-Match: the listing is as it was at `etag`. */
  notModified: boolean;
  etag?: string;
  /** Newest first, as GitHub lists them; empty when notModified. */
  runs: WorkflowRun[];
  /** False when GitHub had more runs than the pages read (`maxPages`). */
  complete: boolean;
}

/** What GitHub's last API answer said of the primary rate limit (x-ratelimit-* headers). */
export interface RateLimitSnapshot {
  limit: number;
  remaining: number;
  /** When the window resets. */
  resetAt: Date;
}

export interface DownloadJobLogOptions {
  /** Stop reading after this many bytes; the stream reports `truncated`. */
  maxBytes: number;
  signal?: AbortSignal;
}

export type ChangedFilesTarget = { pullNumber: number } | { sha: string };

export interface ChangedFiles {
  /** Repository-relative paths, at most `limit`, in GitHub's order. */
  files: string[];
  /** False when GitHub had more files than `limit` (or than the API lists: 3000). */
  complete: boolean;
}

export interface GitHubClient {
  /** HTTP requests sent to the API: retries, 304s and App token exchanges included; log blob fetches not. */
  readonly requestCount: number;
  /** The primary rate limit as GitHub's last answer stated it; undefined before the first answer. */
  readonly rateLimit: RateLimitSnapshot | undefined;
  /**
   * Completed runs created at or after `createdSince`, newest first. The first page is a conditional GET
   * with `etag`: an unchanged listing costs a 304, which GitHub does not count against the rate limit.
   */
  listCompletedRuns(repo: string, options: { createdSince: Date; etag?: string; maxPages?: number }): Promise<RunListResult>;
  /** Repositories a GitHub App installation may read (needs App credentials). */
  listInstallationRepositories(): Promise<string[]>;
  /** Every job of one run attempt (the latest when `attempt` is omitted), paginated 100 at a time. */
  listRunJobs(repo: string, runId: number, attempt?: number): Promise<WorkflowJob[]>;
  getRun(repo: string, runId: number): Promise<WorkflowRun>;
  /** Conditional GET of one attempt: with `etag`, an unchanged attempt costs a 304 (free of rate limit). */
  getRunAttempt(repo: string, runId: number, attempt: number, options?: { etag?: string }): Promise<RunAttemptResult>;
  downloadJobLog(repo: string, jobId: number, options: DownloadJobLogOptions): Promise<JobLogStream>;
  rerunFailedJobs(repo: string, runId: number): Promise<void>;
  rerunWorkflow(repo: string, runId: number): Promise<void>;
  cancelRun(repo: string, runId: number): Promise<void>;
  /** Caches whose key starts with `keyPrefix`; with `limit`, at most that many, and no page is read past them. */
  listCaches(repo: string, options: { keyPrefix: string; ref?: string; limit?: number }): Promise<ActionsCache[]>;
  /** True when deleted, false when GitHub no longer had it (404): deleting is idempotent. */
  deleteCache(repo: string, cacheId: number): Promise<boolean>;
  listChangedFiles(repo: string, target: ChangedFilesTarget, options: { limit: number }): Promise<ChangedFiles>;
  getBranchHead(repo: string, branch: string): Promise<string>;
  /** A file's text at `ref`, at most `maxBytes` (cut there); null when it does not exist at that ref. */
  getFileText(repo: string, path: string, ref: string, options: { maxBytes: number }): Promise<string | null>;
  /** The latest runs of one workflow (by file name), newest first; `branch` narrows them. */
  listWorkflowRuns(repo: string, workflowFile: string, options: { branch?: string; limit: number }): Promise<WorkflowRun[]>;
}

const DEFAULT_BASE_URL = 'https://api.github.com';
const PER_PAGE = 100;

const ThrottledOctokit = Octokit.plugin(throttling, retry);
type ThrottledOctokit = InstanceType<typeof ThrottledOctokit>;

/** Splits "owner/name"; anything else is an InputError naming the value. */
export function parseRepository(repository: string): { owner: string; repo: string } {
  const parsed = parseRepositoryName(repository);
  if (parsed === undefined) throw new InputError(`Invalid repository '${repository}'. Expected ${REPOSITORY_FORMAT}.`);
  return { owner: parsed.owner, repo: parsed.name };
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  return new OctokitGitHubClient(options);
}

const noop = (): void => {};

class OctokitGitHubClient implements GitHubClient {
  readonly #octokit: ThrottledOctokit;
  readonly #fetch: typeof fetch;
  readonly #userAgent: string;
  readonly #log: GitHubClientLog;
  readonly #maxRetries: number;
  readonly #retryBaseDelayMs: number;
  #requestCount = 0;
  #rateLimit: RateLimitSnapshot | undefined;

  constructor(options: GitHubClientOptions) {
    const baseUrl = normalizeBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
    const maxRetries = options.maxRetries ?? 3;
    const maxWait = options.maxRateLimitWaitSeconds ?? 60;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new InputError(`Invalid maxRetries ${maxRetries}. Expected an integer >= 0.`);
    if (!(maxWait >= 0)) throw new InputError(`Invalid maxRateLimitWaitSeconds ${maxWait}. Expected a number >= 0.`);
    this.#log = options.log ?? { warn: noop, debug: noop };
    this.#maxRetries = maxRetries;
    this.#retryBaseDelayMs = options.timing?.retryBaseDelayMs ?? 1000;
    this.#userAgent = options.userAgent ?? 'ci-remediator';
    const baseFetch = options.request?.fetch ?? globalThis.fetch;
    this.#fetch = baseFetch;
    // Counted at fetch level, below every plugin: a hook registered on the Octokit instance runs outside
    // plugin-retry and plugin-throttling (hooks nest in registration order), so it would see one request per
    // call, not the retries, and would miss the App token exchange done inside the auth hook.
    const onResponse = options.onResponse ?? noop;
    const countingFetch: typeof fetch = async (input, init) => {
      this.#requestCount += 1;
      const asked = { method: init?.method ?? 'GET', path: new URL(input instanceof Request ? input.url : String(input)).pathname };
      try {
        const response = await baseFetch(input, init);
        onResponse(String(response.status), asked);
        this.#noteRateLimit(response.headers);
        return response;
      } catch (error) {
        onResponse('network', asked);
        throw error;
      }
    };

    const log = this.#log;
    const onLimit = (kind: string) => (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      const where = `${request.method} ${request.url}`;
      if (retryAfter <= maxWait && retryCount < maxRetries) {
        log.warn(`GitHub ${kind} hit on ${where}; retrying in ${retryAfter} s (retry ${retryCount + 1} of ${maxRetries})`);
        return true;
      }
      log.warn(`GitHub ${kind} hit on ${where}; not waiting ${retryAfter} s (limit ${maxWait} s, retry ${retryCount} of ${maxRetries})`);
      return false;
    };

    const auth =
      'token' in options.auth
        ? { auth: options.auth.token }
        : {
            authStrategy: createAppAuth,
            auth: { appId: options.auth.appId, privateKey: options.auth.privateKey, installationId: options.auth.installationId },
          };
    if ('token' in options.auth && options.auth.token.trim() === '') throw new InputError('GitHub token is empty.');

    this.#octokit = new ThrottledOctokit({
      ...auth,
      baseUrl,
      userAgent: this.#userAgent,
      // plugin-request-log reports every answer, failures at `error`: those reach the caller as typed errors
      // (and a 304 is not a failure), so both go to debug. Only the arguments' first string is passed on:
      // the second is the request options.
      log: { debug: (m: string) => log.debug(m), info: (m: string) => log.debug(m), warn: (m: string) => log.warn(m), error: (m: string) => log.debug(m) },
      request: { fetch: countingFetch },
      retry: { retries: maxRetries, retryAfterBaseValue: options.timing?.retryBaseDelayMs ?? 1000, doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451] },
      throttle: {
        onRateLimit: onLimit('rate limit'),
        onSecondaryRateLimit: onLimit('secondary rate limit'),
        retryAfterBaseValue: options.timing?.rateLimitDelayUnitMs ?? 1000,
        ...(options.timing?.writeSpacingMs === undefined
          ? {}
          : { write: new Bottleneck.Group({ maxConcurrent: 1, minTime: options.timing.writeSpacingMs }) }),
      },
    });
  }

  get requestCount(): number {
    return this.#requestCount;
  }

  get rateLimit(): RateLimitSnapshot | undefined {
    return this.#rateLimit;
  }

  #noteRateLimit(headers: Headers): void {
    const remaining = Number(headers.get('x-ratelimit-remaining') ?? Number.NaN);
    const limit = Number(headers.get('x-ratelimit-limit') ?? Number.NaN);
    const reset = Number(headers.get('x-ratelimit-reset') ?? Number.NaN);
    if (!Number.isFinite(remaining) || !Number.isFinite(limit)) return;
    // Only the core resource: the search or GraphQL budgets are separate and say nothing about ours.
    const resource = headers.get('x-ratelimit-resource');
    if (resource !== null && resource !== 'core') return;
    this.#rateLimit = { limit, remaining, resetAt: new Date((Number.isFinite(reset) ? reset : Date.now() / 1000 + 3600) * 1000) };
  }

  async listCompletedRuns(repository: string, options: { createdSince: Date; etag?: string; maxPages?: number }): Promise<RunListResult> {
    const { owner, repo } = parseRepository(repository);
    const route = 'GET /repos/{owner}/{repo}/actions/runs';
    // Whole seconds: the query (and with it the ETag) must stay the same from one poll to the next.
    const created = `>=${options.createdSince.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
    const maxPages = options.maxPages ?? 10;
    const runs: WorkflowRun[] = [];
    let etag: string | undefined;
    for (let page = 1; page <= maxPages; page++) {
      const headers = page === 1 && options.etag ? { 'if-none-match': options.etag } : {};
      let response;
      try {
        response = await guard(route, () => this.#octokit.request(route, { owner, repo, status: 'completed', created, per_page: PER_PAGE, page, headers }));
      } catch (error) {
        if (page === 1 && error instanceof GitHubApiError && error.status === 304) return { notModified: true, ...(options.etag ? { etag: options.etag } : {}), runs: [], complete: true };
        throw error;
      }
      if (page === 1) etag = response.headers.etag;
      runs.push(...response.data.workflow_runs.map(normalizeRun));
      if (!/\brel="next"/.test(response.headers.link ?? '')) return { notModified: false, ...(etag ? { etag } : {}), runs, complete: true };
    }
    return { notModified: false, ...(etag ? { etag } : {}), runs, complete: false };
  }

  async listInstallationRepositories(): Promise<string[]> {
    const route = 'GET /installation/repositories';
    const repositories = await guard(route, () => this.#octokit.paginate(route, { per_page: PER_PAGE }));
    return repositories.map((repository) => repository.full_name);
  }

  async listRunJobs(repository: string, runId: number, attempt?: number): Promise<WorkflowJob[]> {
    const { owner, repo } = parseRepository(repository);
    if (attempt === undefined) {
      const route = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs';
      const jobs = await guard(route, () =>
        this.#octokit.paginate(route, { owner, repo, run_id: runId, filter: 'latest', per_page: PER_PAGE }),
      );
      return jobs.map(normalizeJob);
    }
    const route = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs';
    const jobs = await guard(route, () =>
      this.#octokit.paginate(route, { owner, repo, run_id: runId, attempt_number: attempt, per_page: PER_PAGE }),
    );
    return jobs.map(normalizeJob);
  }

  async getRun(repository: string, runId: number): Promise<WorkflowRun> {
    const { owner, repo } = parseRepository(repository);
    const route = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}';
    const response = await guard(route, () => this.#octokit.request(route, { owner, repo, run_id: runId }));
    return normalizeRun(response.data);
  }

  async getRunAttempt(repository: string, runId: number, attempt: number, options: { etag?: string } = {}): Promise<RunAttemptResult> {
    const { owner, repo } = parseRepository(repository);
    const route = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}';
    const headers = options.etag ? { 'if-none-match': options.etag } : {};
    try {
      const response = await guard(route, () => this.#octokit.request(route, { owner, repo, run_id: runId, attempt_number: attempt, headers }));
      const etag = response.headers.etag;
      return { notModified: false, ...(etag ? { etag } : {}), run: normalizeRun(response.data) };
    } catch (error) {
      if (error instanceof GitHubApiError && error.status === 304) {
        return { notModified: true, ...(options.etag ? { etag: options.etag } : {}) };
      }
      throw error;
    }
  }

  async downloadJobLog(repository: string, jobId: number, options: DownloadJobLogOptions): Promise<JobLogStream> {
    const { owner, repo } = parseRepository(repository);
    if (!Number.isInteger(options.maxBytes) || options.maxBytes < 0) {
      throw new InputError(`Invalid maxBytes ${options.maxBytes}. Expected an integer >= 0.`);
    }
    const route = 'GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs';
    // The log host (blob storage) fails on its own now and then, and its URLs expire within minutes: a failed
    // fetch of it is retried with a fresh redirect (one more API request each), before any byte was yielded.
    for (let attempt = 0; ; attempt++) {
      const location = await this.#logLocation(route, { owner, repo, jobId, signal: options.signal });
      if (typeof location !== 'string') return openLogBody(jobId, location.body, location.headers, options.maxBytes, options.signal);
      const retriesLeft = attempt < this.#maxRetries;
      let blob: Response;
      try {
        // A plain fetch with no Authorization: the URL carries its own short-lived signature, and the host
        // is not GitHub's API (forwarding the token there would leak it).
        blob = await this.#fetch(location, {
          headers: { 'user-agent': this.#userAgent },
          redirect: 'follow',
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        const reason = `log host ${hostOf(location)} unreachable: ${describe(error)}`;
        if (retriesLeft) {
          await this.#backoff(attempt, `job ${jobId} log download: ${reason}`);
          continue;
        }
        throw new GitHubLogDownloadError({ jobId, bytesRead: 0, contentLength: null, reason }, { cause: error });
      }
      if (blob.ok) return openLogBody(jobId, blob.body, Object.fromEntries(blob.headers), options.maxBytes, options.signal);
      await blob.body?.cancel().catch(noop);
      const reason = `log host ${hostOf(location)} answered ${blob.status}`;
      // 403: the signed URL expired (or was refused); 408/429/5xx: the host's own trouble.
      if (retriesLeft && (blob.status === 403 || blob.status === 408 || blob.status === 429 || blob.status >= 500)) {
        await this.#backoff(attempt, `job ${jobId} log download: ${reason}`);
        continue;
      }
      throw new GitHubLogDownloadError({ jobId, bytesRead: 0, contentLength: null, reason });
    }
  }

  /**
   * GitHub's answer to the logs route: the short-lived URL it redirects to, or (servers that answer with the
   * log itself) the body to stream. redirect: 'manual' so we see the 302 and fetch the URL ourselves,
   * without the token; parseSuccessResponseBody: false so an inline log is streamed, not buffered.
   */
  async #logLocation(
    route: 'GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs',
    target: { owner: string; repo: string; jobId: number; signal: AbortSignal | undefined },
  ): Promise<string | { body: ReadableStream<Uint8Array> | null; headers: Record<string, string | number | undefined> }> {
    const response = await guard(route, () =>
      this.#octokit.request(route, {
        owner: target.owner,
        repo: target.repo,
        job_id: target.jobId,
        request: { redirect: 'manual', parseSuccessResponseBody: false, ...(target.signal ? { signal: target.signal } : {}) },
      }),
    );
    const body = response.data as unknown;
    if (response.status >= 200 && response.status < 300) {
      return { body: body as ReadableStream<Uint8Array> | null, headers: response.headers };
    }
    await cancelBody(body);
    const location = response.headers.location;
    if (!location) {
      throw new GitHubApiError({
        status: response.status,
        route,
        path: `GET ${safePath(response.url)}`,
        githubMessage: `${response.status} without a Location header`,
      });
    }
    return new URL(location, response.url).toString();
  }

  async #backoff(attempt: number, what: string): Promise<void> {
    const delay = (attempt + 1) ** 2 * this.#retryBaseDelayMs;
    this.#log.warn(`${what}; retrying in ${delay} ms`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }

  async rerunFailedJobs(repository: string, runId: number): Promise<void> {
    const { owner, repo } = parseRepository(repository);
    const route = 'POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs';
    // retries: 0 — after a 5xx GitHub may have queued the re-run already; a second POST would either start
    // another attempt or be refused as "already running". The caller checks for the new attempt instead.
    // Rate-limit answers are still retried: GitHub refused those before doing anything.
    await guard(route, () => this.#octokit.request(route, { owner, repo, run_id: runId, request: { retries: 0 } }));
  }

  async rerunWorkflow(repository: string, runId: number): Promise<void> {
    const { owner, repo } = parseRepository(repository);
    const route = 'POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun';
    await guard(route, () => this.#octokit.request(route, { owner, repo, run_id: runId, request: { retries: 0 } }));
  }

  async cancelRun(repository: string, runId: number): Promise<void> {
    const { owner, repo } = parseRepository(repository);
    const route = 'POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel';
    await guard(route, () => this.#octokit.request(route, { owner, repo, run_id: runId, request: { retries: 0 } }));
  }

  async listCaches(repository: string, options: { keyPrefix: string; ref?: string; limit?: number }): Promise<ActionsCache[]> {
    const { owner, repo } = parseRepository(repository);
    if (options.keyPrefix === '') throw new InputError('Cache key prefix is empty; refusing to list (and later delete) every cache.');
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (options.limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new InputError(`Invalid limit ${options.limit}. Expected an integer >= 1.`);
    const route = 'GET /repos/{owner}/{repo}/actions/caches';
    // A prefix taken from a log can match thousands of caches; a caller that refuses past `limit` needs no more.
    let listed = 0;
    const caches = await guard(route, () =>
      this.#octokit.paginate(
        route,
        {
          owner,
          repo,
          key: options.keyPrefix,
          ...(options.ref ? { ref: options.ref } : {}),
          per_page: PER_PAGE,
        },
        (response, done) => {
          listed += response.data.length;
          if (listed >= limit) done();
          return response.data;
        },
      ),
    );
    return caches.slice(0, limit);
  }

  async deleteCache(repository: string, cacheId: number): Promise<boolean> {
    const { owner, repo } = parseRepository(repository);
    const route = 'DELETE /repos/{owner}/{repo}/actions/caches/{cache_id}';
    try {
      await guard(route, () => this.#octokit.request(route, { owner, repo, cache_id: cacheId }));
      return true;
    } catch (error) {
      if (error instanceof GitHubApiError && error.status === 404) return false;
      throw error;
    }
  }

  async getFileText(repository: string, path: string, ref: string, options: { maxBytes: number }): Promise<string | null> {
    const { owner, repo } = parseRepository(repository);
    const route = 'GET /repos/{owner}/{repo}/contents/{path}';
    try {
      // The raw media type answers the file's bytes instead of JSON with base64 (and works up to 100 MB).
      const response = await guard(route, () => this.#octokit.request(route, { owner, repo, path, ref, headers: { accept: 'application/vnd.github.raw' } }));
      const data: unknown = response.data;
      const text = typeof data === 'string' ? data : data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : JSON.stringify(data);
      return Buffer.byteLength(text) > options.maxBytes ? Buffer.from(text).subarray(0, options.maxBytes).toString('utf8') : text;
    } catch (error) {
      if (error instanceof GitHubApiError && error.status === 404) return null;
      throw error;
    }
  }

  async listWorkflowRuns(repository: string, workflowFile: string, options: { branch?: string; limit: number }): Promise<WorkflowRun[]> {
    const { owner, repo } = parseRepository(repository);
    const route = 'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs';
    const perPage = Math.min(PER_PAGE, Math.max(1, options.limit));
    const response = await guard(route, () =>
      this.#octokit.request(route, { owner, repo, workflow_id: workflowFile, per_page: perPage, ...(options.branch !== undefined && { branch: options.branch }) }),
    );
    return response.data.workflow_runs.slice(0, options.limit).map(normalizeRun);
  }

  async listChangedFiles(repository: string, target: ChangedFilesTarget, options: { limit: number }): Promise<ChangedFiles> {
    const { owner, repo } = parseRepository(repository);
    const limit = options.limit;
    if (!Number.isInteger(limit) || limit < 0) throw new InputError(`Invalid limit ${limit}. Expected an integer >= 0.`);
    const files: string[] = [];
    if (limit === 0) return { files, complete: false };
    const perPage = Math.min(PER_PAGE, limit);

    if ('pullNumber' in target) {
      const route = 'GET /repos/{owner}/{repo}/pulls/{pull_number}/files';
      return guard(route, async () => {
        const pages = this.#octokit.paginate.iterator(route, { owner, repo, pull_number: target.pullNumber, per_page: perPage });
        return collectBounded(pages, (data) => data.map((entry) => entry.filename), limit);
      });
    }
    const route = 'GET /repos/{owner}/{repo}/commits/{ref}';
    return guard(route, async () => {
      const pages = this.#octokit.paginate.iterator(route, { owner, repo, ref: target.sha, per_page: perPage });
      // The commit endpoint pages its `files` list (same commit, next files) with the usual Link header.
      return collectBounded(pages, (data) => ((data as unknown as Schemas['commit']).files ?? []).map((entry) => entry.filename), limit);
    });
  }

  async getBranchHead(repository: string, branch: string): Promise<string> {
    const { owner, repo } = parseRepository(repository);
    const route = 'GET /repos/{owner}/{repo}/branches/{branch}';
    const response = await guard(route, () => this.#octokit.request(route, { owner, repo, branch }));
    return response.data.commit.sha;
  }
}

/**
 * Reads pages until `limit` paths are collected. Stopping early leaves the iterator unfinished, so no further
 * page is requested. `complete` is true only when the last page was read (no `next` link) and fit.
 */
async function collectBounded<T>(
  pages: AsyncIterable<{ data: T; headers: { link?: string } }>,
  paths: (data: T) => string[],
  limit: number,
): Promise<ChangedFiles> {
  const files: string[] = [];
  for await (const page of pages) {
    const batch = paths(page.data);
    const hasNext = /\brel="next"/.test(page.headers.link ?? '');
    for (const path of batch) {
      if (files.length === limit) return { files, complete: false };
      files.push(path);
    }
    if (!hasNext) return { files, complete: true };
    if (files.length === limit) return { files, complete: false };
  }
  return { files, complete: true };
}

function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(`Invalid GitHub API base URL '${raw}'. Expected https://api.github.com or https://HOST/api/v3.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(`Invalid GitHub API base URL '${raw}'. Expected an http(s) URL.`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new InputError(`Invalid GitHub API base URL '${url.origin}${url.pathname}'. Credentials, query and fragment are not allowed.`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

interface OctokitErrorShape {
  status?: unknown;
  message?: unknown;
  request?: { method?: string; url?: string };
  response?: { url?: string; headers?: Record<string, string | undefined>; data?: unknown };
}

/** Runs one API call and turns whatever octokit throws into GitHubApiError / GitHubRateLimitError. */
async function guard<T>(route: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toGitHubError(error, route);
  }
}

function toGitHubError(error: unknown, route: string): unknown {
  if (error instanceof GitHubApiError || error instanceof InputError) return error;
  // The caller's own abort stays an AbortError: it is not GitHub failing.
  if (error instanceof Error && error.name === 'AbortError') return error;
  if (typeof error !== 'object' || error === null || !('status' in error)) {
    return new GitHubApiError({ status: 0, route, path: route, githubMessage: describe(error) }, { cause: error });
  }
  const e = error as OctokitErrorShape;
  const method = e.request?.method ?? route.split(' ')[0] ?? 'GET';
  const path = `${method} ${safePath(e.request?.url ?? e.response?.url ?? '')}`;
  const headers = e.response?.headers ?? {};
  const data = e.response?.data;
  const body = typeof data === 'object' && data !== null ? (data as { message?: unknown; documentation_url?: unknown }) : {};
  const githubMessage = typeof body.message === 'string' ? body.message : e.response ? undefined : describe(error);
  const documentationUrl = typeof body.documentation_url === 'string' ? body.documentation_url : undefined;
  const requestId = headers['x-github-request-id'];
  // A response status of 500 without a response is @octokit/request's wrapper for a network failure.
  const status = e.response ? Number(e.status) : 0;
  const details = { status, route, path, githubMessage, requestId, documentationUrl };

  if (status === 403 || status === 429) {
    if (headers['x-ratelimit-remaining'] === '0') {
      const reset = Number(headers['x-ratelimit-reset']);
      const resetAt = Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : new Date(Date.now() + 60_000);
      return new GitHubRateLimitError({ ...details, kind: 'primary', resetAt }, { cause: error });
    }
    // Older GitHub versions word the secondary limit differently ("abuse detection"); retry-after marks it.
    if (status === 429 || /\bsecondary rate\b|\babuse\b/i.test(githubMessage ?? '') || headers['retry-after'] !== undefined) {
      const retryAfter = Number(headers['retry-after']);
      const resetAt = new Date(Date.now() + (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 60) * 1000);
      return new GitHubRateLimitError({ ...details, kind: 'secondary', resetAt }, { cause: error });
    }
  }
  return new GitHubApiError(details, { cause: error });
}

/** Path only: query strings can carry signatures (log URLs) and are never needed to name the route. */
function safePath(url: string): string {
  try {
    return new URL(url, 'http://x.invalid').pathname;
  } catch {
    return url.split('?')[0] ?? '';
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

async function cancelBody(body: unknown): Promise<void> {
  if (body && typeof (body as ReadableStream).cancel === 'function') {
    await (body as ReadableStream).cancel().catch(noop);
  }
}

function toNumber(id: number | bigint): number {
  return typeof id === 'bigint' ? Number(id) : id;
}

function normalizeJob(job: Schemas['job']): WorkflowJob {
  return { ...job, id: toNumber(job.id), run_id: toNumber(job.run_id) };
}

function normalizeRun(run: Schemas['workflow-run']): WorkflowRun {
  const { check_suite_id, ...rest } = run;
  return { ...rest, id: toNumber(run.id), ...(check_suite_id === undefined ? {} : { check_suite_id: toNumber(check_suite_id) }) };
}

