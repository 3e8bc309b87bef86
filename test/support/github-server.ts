// A local GitHub REST API for tests: the documented routes ci-remediator uses, answered with the shapes of
// GitHub's OpenAPI description (every body below is typed with @octokit/openapi-types, so a shape drift is a
// compile error) and seeded from @octokit/fixtures' recorded responses where they have something relevant.
//
// @octokit/fixtures records no GitHub Actions scenario (no workflow runs, jobs, logs, caches); what it gives
// us is a recorded repository object (get-repository: the `repository`/`owner` inside every workflow run),
// GitHub's response headers (get-repository), the shape of its 302 to a download host (get-archive) and its
// error bodies (branch-protection's 404). Everything Actions-specific is built from the OpenAPI types.
//
// Scripting: `server.repo('acme/app').addRun({ jobs: [...], onRerun: {...} })`. Faults: `server.inject(...)`.
// The job-log redirect points at a second listener on another port: another origin, as GitHub's log host is,
// which answers 403 when a request carries an Authorization header (so a leaked token fails loudly).

import { createHash, createPublicKey, randomBytes, verify as verifySignature, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { components } from '@octokit/openapi-types';

type Schemas = components['schemas'];
export type JobConclusion = NonNullable<Schemas['job']['conclusion']>;
export type RunConclusion = JobConclusion | 'stale' | 'startup_failure';
type Status = 'queued' | 'in_progress' | 'completed';

/** A log body: text, bytes, or a generator of chunks (for huge logs; `size` makes it declare content-length). */
export type LogSource =
  | string
  | Buffer
  | { size?: number; chunks: () => Iterable<Buffer | string> | AsyncIterable<Buffer | string> };

export interface StepSpec {
  name: string;
  conclusion?: JobConclusion;
}

export interface JobSpec {
  name: string;
  /** Default 'success'. Ignored while `status` is not 'completed'. */
  conclusion?: JobConclusion;
  /** Default 'completed'. */
  status?: Status;
  steps?: StepSpec[];
  log?: LogSource;
  labels?: string[];
  /** Fixed id (e.g. a large one); default a fresh id. */
  id?: number;
}

/** What a re-run does: its attempt progresses as it is observed (GET of the run or the attempt). */
export interface RerunScript {
  /** Conclusion of the new attempt (and of its re-run jobs unless `jobConclusions` says otherwise). */
  conclusion: RunConclusion;
  /**
   * The new attempt is `queued` until first observed, `in_progress` on the observations before
   * `afterPolls`, and `completed` from the `afterPolls`-th observation on (0: completed at once). Default 1.
   */
  afterPolls?: number;
  jobConclusions?: Record<string, JobConclusion>;
  logs?: Record<string, LogSource>;
}

export interface RunSpec {
  id?: number;
  /** Workflow name (default 'CI'). */
  name?: string;
  path?: string;
  event?: string;
  headBranch?: string;
  headSha?: string;
  runNumber?: number;
  createdAt?: Date;
  /** Jobs of attempt 1. */
  jobs: JobSpec[];
  /** Conclusion of attempt 1; default derived from its jobs. */
  conclusion?: RunConclusion;
  pullRequests?: number[];
  /** What the first re-run, second re-run, … do. Default: `{ conclusion: 'success', afterPolls: 1 }`. */
  onRerun?: RerunScript | RerunScript[];
}

export interface CacheSpec {
  key: string;
  ref?: string;
  sizeInBytes?: number;
  id?: number;
}

export interface RecordedRequest {
  origin: 'api' | 'logs';
  method: string;
  /** Path without the API prefix (e.g. /repos/acme/app/actions/runs/1), query excluded. */
  path: string;
  /** Full request target as received (prefix and query included). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Response status; 0 while unanswered or when the connection was destroyed without one. */
  status: number;
}

export interface FaultMatch {
  method?: string;
  /** Exact path (without the API prefix) or a RegExp tested against it. */
  path?: string | RegExp;
  /** Which listener; default 'api' except for the download faults (slow/truncate), default 'logs'. */
  origin?: 'api' | 'logs';
}

export type Fault =
  /** 403 with x-ratelimit-remaining: 0 and x-ratelimit-reset `resetInSeconds` (default 1) away. */
  | { kind: 'rate-limit'; resetInSeconds?: number }
  /** Secondary rate limit: 403 (default) or 429, with retry-after unless `retryAfterSeconds` is null. */
  | { kind: 'secondary-rate-limit'; status?: 403 | 429; retryAfterSeconds?: number | null }
  /** An error status with GitHub's error body (5xx, 404, …). */
  | { kind: 'status'; status: number; message?: string }
  /** The connection is destroyed before any response. */
  | { kind: 'network' }
  /** The response body is sent `chunkBytes` at a time with `delayMs` between chunks. */
  | { kind: 'slow'; chunkBytes: number; delayMs: number }
  /** content-length is declared in full, `afterBytes` are sent, then the socket is destroyed. */
  | { kind: 'truncate'; afterBytes: number }
  /**
   * The request waits until `release()` (or `until` settles). With `applyEffect: 'on-arrival'` (default)
   * GitHub does the work at once and only the answer waits (a client killed meanwhile never learns it
   * happened); with 'on-release' nothing happens before the release.
   */
  | { kind: 'hold'; until?: Promise<unknown>; applyEffect?: 'on-arrival' | 'on-release' };

export type InjectOptions = Fault & FaultMatch & { /** How many matching requests it affects (default 1). */ times?: number };

export interface Injection {
  /** Matching requests affected so far. */
  readonly hits: number;
  readonly remaining: number;
  /** Resolves with the first affected request. */
  readonly reached: Promise<RecordedRequest>;
  /** For holds: lets held requests proceed (and later ones pass through unheld). */
  release(): void;
}

export interface AppSpec {
  appId: number | string;
  /** PEM public key (or KeyObject) the App's JWTs must verify with. */
  publicKey: string | KeyObject;
  installations: number[];
  /** What GET /installation/repositories lists per installation (default: every repository of the server). */
  repositories?: Record<number, string[]>;
}

export interface StartGitHubServerOptions {
  /** API path prefix, '/api/v3' for a GitHub Enterprise Server base URL. Default ''. */
  pathPrefix?: string;
  /** Accepted tokens. Default: any non-empty token, unless `apps` is set (then only issued tokens). */
  tokens?: string[];
  apps?: AppSpec[];
  /** Lifetime of the short-lived log URLs (default 60 s). */
  logUrlTtlMs?: number;
  /** Re-runs a run may have (GitHub: 50). */
  maxAttempts?: number;
}

export interface GitHubServer {
  /** API base URL, e.g. http://127.0.0.1:PORT or http://127.0.0.1:PORT/api/v3. */
  readonly url: string;
  /** Origin of the log host (another port: another origin). */
  readonly logsOrigin: string;
  readonly requests: RecordedRequest[];
  /** Installation tokens issued through POST /app/installations/{id}/access_tokens. */
  readonly issuedTokens: string[];
  /** The installation each issued token belongs to. */
  readonly tokenInstallations: ReadonlyMap<string, number>;
  /** The repository `owner/name`, created on first use. */
  repo(fullName: string): FakeRepo;
  inject(options: InjectOptions): Injection;
  /** Requests to the API (not the log host) matching method and path. */
  apiRequests(match?: FaultMatch): RecordedRequest[];
  /** Requests counted against the primary rate limit so far (304s are not, as on GitHub). */
  readonly rateLimitUsed: number;
  close(): Promise<void>;
}

let nextId = 1_000;
const freshId = (): number => ++nextId * 7 + 3;
const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');
const iso = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------
// Recorded material from @octokit/fixtures.

interface RecordedExchange {
  method: string;
  path: string;
  status: number;
  response: unknown;
  headers: Record<string, string>;
}

const requireFromHere = createRequire(import.meta.url);
function fixture(name: string): RecordedExchange[] {
  const file = requireFromHere.resolve(`@octokit/fixtures/scenarios/api.github.com/${name}/normalized-fixture.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as RecordedExchange[];
}

const recordedRepository = fixture('get-repository')[0]!;
const recordedRedirect = fixture('get-archive').find((exchange) => exchange.status === 302)!;
const recordedNotFound = fixture('branch-protection').find((exchange) => exchange.status === 404)!;

/** Headers GitHub sends on every API answer (as recorded), minus the per-response ones we compute. */
const COMMON_HEADERS: Record<string, string> = Object.fromEntries(
  Object.entries(recordedRepository.headers).filter(
    ([name]) =>
      !['content-length', 'etag', 'date', 'last-modified', 'connection', 'cache-control', 'x-github-request-id', 'status'].includes(name) &&
      !name.startsWith('x-ratelimit-'),
  ),
);
const DOCS = (recordedNotFound.response as Schemas['basic-error']).documentation_url!.replace(/\/rest\/.*$/, '/rest');

// ---------------------------------------------------------------------------------------------------------
// State.

export class FakeJob {
  readonly id: number;
  readonly name: string;
  readonly attempt: number;
  status: Status;
  conclusion: JobConclusion | null;
  steps: StepSpec[];
  log: LogSource | undefined;
  labels: string[];
  startedAt: Date;
  completedAt: Date | null;

  constructor(spec: JobSpec, attempt: number, now: Date) {
    this.id = spec.id ?? freshId();
    this.name = spec.name;
    this.attempt = attempt;
    this.status = spec.status ?? 'completed';
    this.conclusion = this.status === 'completed' ? (spec.conclusion ?? 'success') : null;
    this.steps = spec.steps ?? [
      { name: 'Set up job', conclusion: 'success' },
      { name: 'Run tests', conclusion: this.conclusion ?? 'success' },
      { name: 'Complete job', conclusion: 'success' },
    ];
    this.log = spec.log;
    this.labels = spec.labels ?? ['ubuntu-latest'];
    this.startedAt = now;
    this.completedAt = this.status === 'completed' ? now : null;
  }

  complete(conclusion: JobConclusion, now = new Date()): void {
    this.status = 'completed';
    this.conclusion = conclusion;
    this.completedAt = now;
    this.steps = this.steps.map((step, index) => ({ ...step, conclusion: index === 1 ? conclusion : (step.conclusion ?? 'success') }));
  }
}

export class FakeAttempt {
  readonly number: number;
  status: Status;
  conclusion: RunConclusion | null;
  /** Jobs run in this attempt. */
  readonly jobs: FakeJob[];
  /** Jobs carried over unchanged from the previous attempt (re-run of failed jobs only). */
  readonly carriedOver: FakeJob[];
  readonly startedAt: Date;
  updatedAt: Date;
  /** GETs of the run (while latest) or of this attempt. */
  observations = 0;
  readonly script: RerunScript | undefined;

  constructor(number: number, jobs: FakeJob[], carriedOver: FakeJob[], script: RerunScript | undefined, now: Date, conclusion?: RunConclusion) {
    this.number = number;
    this.jobs = jobs;
    this.carriedOver = carriedOver;
    this.script = script;
    this.startedAt = now;
    this.updatedAt = now;
    if (script) {
      this.status = 'queued';
      this.conclusion = null;
      if ((script.afterPolls ?? 1) <= 0) this.complete(script.conclusion, now);
    } else {
      const running = jobs.some((job) => job.status !== 'completed');
      this.status = running ? 'in_progress' : 'completed';
      this.conclusion = running ? null : (conclusion ?? derivedConclusion([...jobs, ...carriedOver]));
    }
  }

  /** All jobs of the attempt as GitHub lists them. */
  get allJobs(): FakeJob[] {
    return [...this.carriedOver, ...this.jobs];
  }

  observe(now = new Date()): void {
    this.observations += 1;
    if (!this.script || this.status === 'completed') return;
    const afterPolls = this.script.afterPolls ?? 1;
    if (this.observations >= afterPolls) {
      this.complete(this.script.conclusion, now);
    } else if (this.status === 'queued') {
      this.status = 'in_progress';
      for (const job of this.jobs) job.status = 'in_progress';
      this.updatedAt = now;
    }
  }

  /** Ends the attempt now with `conclusion` (scripted jobs get theirs from the re-run script). */
  complete(conclusion: RunConclusion, now = new Date()): void {
    for (const job of this.jobs) {
      if (job.status === 'completed') continue;
      const jobConclusion = this.script?.jobConclusions?.[job.name] ?? (isJobConclusion(conclusion) ? conclusion : 'failure');
      job.complete(jobConclusion, now);
    }
    this.status = 'completed';
    this.conclusion = conclusion;
    this.updatedAt = now;
  }

  cancel(now = new Date()): void {
    for (const job of this.jobs) if (job.status !== 'completed') job.complete('cancelled', now);
    this.status = 'completed';
    this.conclusion = 'cancelled';
    this.updatedAt = now;
  }
}

export class FakeRun {
  readonly id: number;
  readonly repo: FakeRepo;
  readonly name: string;
  readonly path: string;
  readonly event: string;
  readonly headBranch: string;
  readonly headSha: string;
  readonly runNumber: number;
  readonly createdAt: Date;
  readonly pullRequests: number[];
  readonly attempts: FakeAttempt[] = [];
  /** Re-run requests GitHub accepted, in order. */
  readonly reruns: Array<{ kind: 'rerun' | 'rerun-failed-jobs'; attempt: number; at: Date }> = [];
  /** Cancel requests GitHub accepted. */
  cancels = 0;
  #scripts: RerunScript[];

  constructor(repo: FakeRepo, spec: RunSpec) {
    const now = new Date();
    this.id = spec.id ?? freshId();
    this.repo = repo;
    this.name = spec.name ?? 'CI';
    this.path = spec.path ?? '.github/workflows/ci.yml';
    this.event = spec.event ?? (spec.pullRequests?.length ? 'pull_request' : 'push');
    this.headBranch = spec.headBranch ?? repo.defaultBranch;
    this.headSha = spec.headSha ?? sha1(`${repo.fullName}#${this.id}`);
    this.runNumber = spec.runNumber ?? repo.runs.length + 1;
    this.createdAt = spec.createdAt ?? new Date(now.getTime() - 10 * 60_000);
    this.pullRequests = spec.pullRequests ?? [];
    const onRerun = spec.onRerun ?? { conclusion: 'success', afterPolls: 1 };
    this.#scripts = Array.isArray(onRerun) ? [...onRerun] : [onRerun];
    const jobs = spec.jobs.map((job) => new FakeJob(job, 1, this.createdAt));
    this.attempts.push(new FakeAttempt(1, jobs, [], undefined, this.createdAt, spec.conclusion));
  }

  get latest(): FakeAttempt {
    return this.attempts[this.attempts.length - 1]!;
  }

  attempt(number: number): FakeAttempt | undefined {
    return this.attempts[number - 1];
  }

  /** The job named `name` in the latest attempt (carried over or re-run). */
  job(name: string, attempt = this.latest.number): FakeJob {
    const found = this.attempt(attempt)?.allJobs.find((job) => job.name === name);
    if (!found) throw new Error(`run ${this.id} attempt ${attempt} has no job '${name}'`);
    return found;
  }

  /** What GitHub does on an accepted re-run: a new attempt, queued. */
  startAttempt(kind: 'rerun' | 'rerun-failed-jobs', now = new Date()): FakeAttempt {
    const previous = this.latest;
    const script = this.#scripts.length > 1 ? this.#scripts.shift()! : this.#scripts[0]!;
    const rerunAll = kind === 'rerun';
    const toRerun = previous.allJobs.filter((job) => rerunAll || isFailing(job.conclusion));
    const carried = rerunAll ? [] : previous.allJobs.filter((job) => !isFailing(job.conclusion));
    const number = previous.number + 1;
    const jobs = toRerun.map(
      (job) =>
        new FakeJob(
          {
            name: job.name,
            status: 'queued',
            steps: job.steps.map((step) => ({ name: step.name })),
            labels: job.labels,
            log: script.logs?.[job.name] ?? `${iso(now)} Re-run of ${job.name} (attempt ${number})\n`,
          },
          number,
          now,
        ),
    );
    const attempt = new FakeAttempt(number, jobs, carried, script, now);
    this.attempts.push(attempt);
    this.reruns.push({ kind, attempt: number, at: now });
    return attempt;
  }
}

export class FakeRepo {
  readonly owner: string;
  readonly name: string;
  readonly id = freshId();
  defaultBranch = 'main';
  readonly runs: FakeRun[] = [];
  readonly branches = new Map<string, string>();
  readonly pulls = new Map<number, string[]>();
  readonly commits = new Map<string, string[]>();
  readonly caches: Array<Required<CacheSpec> & { createdAt: Date }> = [];
  /** File contents by `ref:path` (GET /repos/{o}/{r}/contents/{path}?ref=). */
  readonly files = new Map<string, string>();
  readonly #server: ServerState;

  constructor(fullName: string, server: ServerState) {
    const [owner, name] = fullName.split('/');
    if (!owner || !name) throw new Error(`repository '${fullName}' is not owner/name`);
    this.owner = owner;
    this.name = name;
    this.#server = server;
    this.branches.set('main', sha1(`${fullName}@main`));
  }

  get fullName(): string {
    return `${this.owner}/${this.name}`;
  }

  addRun(spec: RunSpec): FakeRun {
    const run = new FakeRun(this, spec);
    if (this.#server.findRun(run.id)) throw new Error(`run id ${run.id} already exists`);
    this.runs.push(run);
    if (!this.branches.has(run.headBranch)) this.branches.set(run.headBranch, run.headSha);
    for (const job of run.latest.jobs) this.#server.jobs.set(job.id, { repo: this, job });
    return run;
  }

  run(id: number): FakeRun {
    const run = this.runs.find((candidate) => candidate.id === id);
    if (!run) throw new Error(`no run ${id} in ${this.fullName}`);
    return run;
  }

  setBranch(branch: string, sha: string): this {
    this.branches.set(branch, sha);
    return this;
  }

  /** Changed files of pull request `number` (repository-relative paths). */
  setPullFiles(number: number, files: string[]): this {
    this.pulls.set(number, files);
    return this;
  }

  setCommitFiles(sha: string, files: string[]): this {
    this.commits.set(sha, files);
    return this;
  }

  addCache(spec: CacheSpec): number {
    const id = spec.id ?? freshId();
    this.caches.push({ id, key: spec.key, ref: spec.ref ?? `refs/heads/${this.defaultBranch}`, sizeInBytes: spec.sizeInBytes ?? 1024, createdAt: new Date() });
    return id;
  }

  /** Registers jobs of attempts created by re-runs (called by the server). */
  indexJobs(attempt: FakeAttempt): void {
    for (const job of attempt.jobs) this.#server.jobs.set(job.id, { repo: this, job });
  }
}

interface ServerState {
  jobs: Map<number, { repo: FakeRepo; job: FakeJob }>;
  findRun(id: number): FakeRun | undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers on conclusions.

function isJobConclusion(value: string): value is JobConclusion {
  return ['success', 'failure', 'neutral', 'cancelled', 'skipped', 'timed_out', 'action_required'].includes(value);
}
function isFailing(conclusion: string | null): boolean {
  return conclusion === 'failure' || conclusion === 'cancelled' || conclusion === 'timed_out' || conclusion === 'startup_failure';
}
function derivedConclusion(jobs: FakeJob[]): RunConclusion {
  if (jobs.some((job) => job.conclusion === 'failure' || job.conclusion === 'timed_out')) return 'failure';
  if (jobs.some((job) => job.conclusion === 'cancelled')) return 'cancelled';
  return 'success';
}

// ---------------------------------------------------------------------------------------------------------
// Responses.

interface Reply {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  /** Raw body (the log host). */
  body?: LogSource;
}

class HttpError {
  readonly status: number;
  readonly message: string;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    this.status = status;
    this.message = message;
    this.headers = headers;
  }
}

function errorBody(message: string, status: number): Schemas['basic-error'] {
  return { message, documentation_url: DOCS, status: String(status) };
}

interface ActiveInjection {
  options: InjectOptions;
  hits: number;
  remaining: number;
  released: boolean;
  waiters: Array<() => void>;
  reached: Promise<RecordedRequest>;
  resolveReached: (request: RecordedRequest) => void;
}

export async function startGitHubServer(options: StartGitHubServerOptions = {}): Promise<GitHubServer> {
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const logUrlTtlMs = options.logUrlTtlMs ?? 60_000;
  const maxAttempts = options.maxAttempts ?? 50;
  const strictTokens = options.tokens !== undefined || (options.apps?.length ?? 0) > 0;
  const acceptedTokens = new Set(options.tokens ?? []);
  const issuedTokens: string[] = [];
  const tokenInstallations = new Map<string, number>();
  const apps = (options.apps ?? []).map((app) => ({
    ...app,
    key: typeof app.publicKey === 'string' ? createPublicKey(app.publicKey) : app.publicKey,
  }));
  const repos = new Map<string, FakeRepo>();
  const requests: RecordedRequest[] = [];
  const injections: ActiveInjection[] = [];
  const logUrls = new Map<string, { jobId: number; expiresAt: number }>();
  const rate = { limit: 5000, used: 0, reset: Math.ceil(Date.now() / 1000) + 3600 };
  const state: ServerState = {
    jobs: new Map(),
    findRun: (id) => {
      for (const repo of repos.values()) {
        const run = repo.runs.find((candidate) => candidate.id === id);
        if (run) return run;
      }
      return undefined;
    },
  };

  const api = createServer((req, res) => void handle('api', req, res));
  const logs = createServer((req, res) => void handle('logs', req, res));
  await Promise.all([listen(api), listen(logs)]);
  const apiOrigin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const logsOrigin = `http://127.0.0.1:${(logs.address() as AddressInfo).port}`;
  const baseUrl = `${apiOrigin}${prefix}`;
  // URLs inside bodies point at this server, the way GitHub's point at api.github.com.
  const apiUrl = (path: string): string => `${baseUrl}${path}`;
  const htmlUrl = (path: string): string => `${apiOrigin}/_html${path}`;

  function repoOf(fullName: string): FakeRepo {
    let repo = repos.get(fullName.toLowerCase());
    if (!repo) {
      repo = new FakeRepo(fullName, state);
      repos.set(fullName.toLowerCase(), repo);
    }
    return repo;
  }

  function matches(injection: ActiveInjection, origin: 'api' | 'logs', method: string, path: string): boolean {
    const o = injection.options;
    const defaultOrigin = o.kind === 'slow' || o.kind === 'truncate' ? 'logs' : 'api';
    if ((o.origin ?? defaultOrigin) !== origin) return false;
    if (o.method && o.method.toUpperCase() !== method) return false;
    if (o.path instanceof RegExp) return o.path.test(path);
    if (typeof o.path === 'string') return o.path === path;
    return true;
  }

  function takeInjection(origin: 'api' | 'logs', method: string, path: string, record: RecordedRequest): ActiveInjection | undefined {
    const injection = injections.find((candidate) => candidate.remaining > 0 && matches(candidate, origin, method, path));
    if (!injection) return undefined;
    injection.remaining -= 1;
    injection.hits += 1;
    injection.resolveReached(record);
    return injection;
  }

  async function handle(origin: 'api' | 'logs', req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    let path = target.pathname;
    if (origin === 'api' && prefix) path = path.startsWith(`${prefix}/`) || path === prefix ? path.slice(prefix.length) || '/' : `\0${path}`;
    const record: RecordedRequest = { origin, method, path, url: req.url ?? '/', headers: { ...req.headers }, status: 0 };
    requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    const body = await readBody(req);

    const injection = takeInjection(origin, method, path, record);
    const fault = injection?.options;
    try {
      if (fault?.kind === 'network') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'hold' && fault.applyEffect === 'on-release') await waitForRelease(injection!);
      let reply: Reply;
      if (fault?.kind === 'rate-limit') {
        const reset = Math.ceil(Date.now() / 1000) + (fault.resetInSeconds ?? 1);
        reply = {
          status: 403,
          headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset), 'x-ratelimit-used': String(rate.limit) },
          json: errorBody('API rate limit exceeded for installation. If you reach out to GitHub Support for help, please include the request ID.', 403),
        };
      } else if (fault?.kind === 'secondary-rate-limit') {
        const retryAfter = fault.retryAfterSeconds === undefined ? 1 : fault.retryAfterSeconds;
        reply = {
          status: fault.status ?? 403,
          headers: retryAfter === null ? {} : { 'retry-after': String(retryAfter) },
          json: errorBody('You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', fault.status ?? 403),
        };
      } else if (fault?.kind === 'status') {
        reply = { status: fault.status, json: errorBody(fault.message ?? defaultMessage(fault.status), fault.status) };
      } else {
        reply = origin === 'api' ? await route(method, path, target.searchParams, req, body) : serveLog(method, path, target.searchParams, req);
      }
      if (fault?.kind === 'hold' && fault.applyEffect !== 'on-release') await waitForRelease(injection!);
      await send(origin, req, res, reply, fault);
    } catch (error) {
      if (error instanceof HttpError) {
        await send(origin, req, res, { status: error.status, headers: error.headers, json: errorBody(error.message, error.status) }, undefined);
      } else if (!res.headersSent) {
        await send(origin, req, res, { status: 500, json: errorBody(`fake GitHub failed: ${String(error)}`, 500) }, undefined);
      } else {
        res.destroy();
      }
    }
  }

  function waitForRelease(injection: ActiveInjection): Promise<void> {
    if (injection.released) return Promise.resolve();
    return new Promise((resolve) => injection.waiters.push(resolve));
  }

  function authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization;
    if (!header) throw new HttpError(401, 'Requires authentication');
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header);
    if (!match) throw new HttpError(401, 'Bad credentials');
    const token = match[1]!;
    if (strictTokens && !acceptedTokens.has(token)) throw new HttpError(401, 'Bad credentials');
  }

  async function route(method: string, path: string, query: URLSearchParams, req: IncomingMessage, _body: Buffer): Promise<Reply> {
    let m: RegExpExecArray | null;
    if (method === 'POST' && (m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path))) {
      return issueInstallationToken(Number(m[1]), req);
    }
    authenticate(req);
    rate.used += 1;

    if (method === 'GET' && path === '/installation/repositories') {
      const token = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const installation = tokenInstallations.get(token);
      if (installation === undefined) throw new HttpError(403, 'You must authenticate with an installation access token in order to list repositories for an installation.');
      const app = apps.find((candidate) => candidate.installations.includes(installation));
      const names = app?.repositories?.[installation] ?? [...repos.values()].map((repo) => repo.fullName);
      const listed = names.map((name) => repoOf(name));
      const page = paginate(listed, query, path);
      // The shape of GET /installation/repositories (apps/list-repos-accessible-to-installation).
      const body: { total_count: number; repository_selection: 'selected'; repositories: Schemas['repository'][] } = {
        total_count: listed.length,
        repository_selection: 'selected',
        repositories: page.items.map((repo) => minimalRepository(repo) as unknown as Schemas['repository']),
      };
      return { status: 200, headers: page.headers, json: body };
    }

    m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) throw new HttpError(404, 'Not Found');
    const repo = repos.get(`${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`.toLowerCase());
    if (!repo) throw new HttpError(404, 'Not Found');
    const rest = m[3] ?? '';

    if (method === 'GET' && rest === '') return { status: 200, json: repositoryBody(repo) };

    if (rest === '/actions/runs' && method === 'GET') {
      // GitHub's filters the poller uses: status (a status or a conclusion) and created (>=ISO-8601).
      const status = query.get('status');
      const created = query.get('created');
      const since = created?.startsWith('>=') ? Date.parse(created.slice(2)) : Number.NaN;
      const runs = [...repo.runs]
        .filter((run) => !status || run.latest.status === status || run.latest.conclusion === status)
        .filter((run) => Number.isNaN(since) || run.createdAt.getTime() >= since)
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id);
      const page = paginate(runs, query, path);
      const body: { total_count: number; workflow_runs: Schemas['workflow-run'][] } = {
        total_count: runs.length,
        workflow_runs: page.items.map((run) => runBody(run, run.latest)),
      };
      const reply = conditional(req, body);
      return { ...reply, headers: { ...reply.headers, ...page.headers } };
    }
    if ((m = /^\/actions\/runs\/(\d+)(?:\/attempts\/(\d+))?$/.exec(rest)) && method === 'GET') {
      const run = runOf(repo, m[1]!);
      const attempt = m[2] === undefined ? run.latest : run.attempt(Number(m[2]));
      if (!attempt) throw new HttpError(404, 'Not Found');
      attempt.observe();
      return conditional(req, runBody(run, attempt));
    }
    if ((m = /^\/actions\/runs\/(\d+)(?:\/attempts\/(\d+))?\/jobs$/.exec(rest)) && method === 'GET') {
      const run = runOf(repo, m[1]!);
      let jobs: FakeJob[];
      if (m[2] !== undefined) {
        const attempt = run.attempt(Number(m[2]));
        if (!attempt) throw new HttpError(404, 'Not Found');
        jobs = attempt.allJobs;
      } else if (query.get('filter') === 'all') {
        jobs = run.attempts.flatMap((attempt) => attempt.jobs);
      } else {
        jobs = run.latest.allJobs;
      }
      const page = paginate(jobs, query, path);
      const body: { total_count: number; jobs: Schemas['job'][] } = { total_count: jobs.length, jobs: page.items.map((job) => jobBody(run, job)) };
      return { status: 200, headers: page.headers, json: body };
    }
    if ((m = /^\/actions\/jobs\/(\d+)$/.exec(rest)) && method === 'GET') {
      const { run, job } = jobOf(repo, m[1]!);
      return { status: 200, json: jobBody(run, job) };
    }
    if ((m = /^\/actions\/jobs\/(\d+)\/logs$/.exec(rest)) && method === 'GET') {
      const { job } = jobOf(repo, m[1]!);
      if (job.status !== 'completed') throw new HttpError(404, 'Not Found');
      const key = randomBytes(12).toString('hex');
      const expiresAt = Date.now() + logUrlTtlMs;
      logUrls.set(key, { jobId: job.id, expiresAt });
      const signature = randomBytes(16).toString('base64url');
      const location = `${logsOrigin}/${repo.id}/jobs/${job.id}/${key}/job-logs.txt?sv=2021-08-06&se=${encodeURIComponent(new Date(expiresAt).toISOString())}&sp=r&sig=${signature}`;
      // As recorded for GitHub's other download redirect (get-archive): empty body, Location elsewhere.
      const headers: Record<string, string> = {
        location,
        'content-type': recordedRedirect.headers['content-type'] ?? 'text/html;charset=utf-8',
      };
      return { status: 302, headers, body: '' };
    }
    if ((m = /^\/actions\/runs\/(\d+)\/(rerun|rerun-failed-jobs|cancel)$/.exec(rest)) && method === 'POST') {
      const run = runOf(repo, m[1]!);
      const action = m[2]!;
      if (action === 'cancel') {
        if (run.latest.status === 'completed') throw new HttpError(409, 'Cannot cancel a workflow run that is completed.');
        run.latest.cancel();
        run.cancels += 1;
        return { status: 202, json: {} satisfies Schemas['empty-object'] };
      }
      if (run.latest.status !== 'completed') throw new HttpError(403, 'This workflow is already running');
      if (Date.now() - run.createdAt.getTime() > 30 * 86_400_000) {
        throw new HttpError(403, 'Unable to re-run this workflow run because it was created over a month ago');
      }
      if (run.attempts.length >= maxAttempts) {
        throw new HttpError(403, `This workflow run has reached the maximum of ${maxAttempts} attempts`);
      }
      if (action === 'rerun-failed-jobs' && !run.latest.allJobs.some((job) => isFailing(job.conclusion))) {
        throw new HttpError(403, 'This workflow run has no failed jobs to re-run');
      }
      const attempt = run.startAttempt(action === 'rerun' ? 'rerun' : 'rerun-failed-jobs');
      repo.indexJobs(attempt);
      return { status: 201, json: {} satisfies Schemas['empty-object'] };
    }
    if ((m = /^\/contents\/(.+)$/.exec(rest)) && method === 'GET') {
      const file = decodeURIComponent(m[1]!);
      const ref = query.get('ref') ?? repo.defaultBranch;
      const text = repo.files.get(`${ref}:${file}`);
      if (text === undefined) throw new HttpError(404, 'Not Found');
      if ((req.headers.accept ?? '').includes('application/vnd.github.raw')) return { status: 200, headers: { 'content-type': 'application/vnd.github.raw' }, body: text };
      return { status: 200, json: { type: 'file', encoding: 'base64', size: Buffer.byteLength(text), name: file.split('/').pop(), path: file, content: Buffer.from(text).toString('base64') } };
    }
    if ((m = /^\/actions\/workflows\/([^/]+)\/runs$/.exec(rest)) && method === 'GET') {
      const workflow = decodeURIComponent(m[1]!);
      const branch = query.get('branch');
      const runs = repo.runs
        .filter((run) => run.path.split('/').pop() === workflow && (!branch || run.headBranch === branch))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      const page = paginate(runs, query, path);
      const body = { total_count: runs.length, workflow_runs: page.items.map((run) => runBody(run, run.latest)) };
      return { status: 200, headers: page.headers, json: body };
    }
    if (rest === '/actions/caches' && method === 'GET') {
      const key = query.get('key');
      const ref = query.get('ref');
      const caches = repo.caches.filter((cache) => (!key || cache.key.startsWith(key)) && (!ref || cache.ref === ref));
      const page = paginate(caches, query, path);
      const body: Schemas['actions-cache-list'] = {
        total_count: caches.length,
        actions_caches: page.items.map((cache) => ({
          id: cache.id,
          ref: cache.ref,
          key: cache.key,
          version: sha1(cache.key),
          last_accessed_at: cache.createdAt.toISOString(),
          created_at: cache.createdAt.toISOString(),
          size_in_bytes: cache.sizeInBytes,
        })),
      };
      return { status: 200, headers: page.headers, json: body };
    }
    if ((m = /^\/actions\/caches\/(\d+)$/.exec(rest)) && method === 'DELETE') {
      const index = repo.caches.findIndex((cache) => cache.id === Number(m![1]));
      if (index < 0) throw new HttpError(404, 'Not Found');
      repo.caches.splice(index, 1);
      return { status: 204 };
    }
    if ((m = /^\/pulls\/(\d+)\/files$/.exec(rest)) && method === 'GET') {
      const files = repo.pulls.get(Number(m[1]));
      if (!files) throw new HttpError(404, 'Not Found');
      // GitHub lists at most 3000 files of a pull request.
      const page = paginate(files.slice(0, 3000), query, path);
      const body: Schemas['diff-entry'][] = page.items.map((file) => diffEntry(repo, file));
      return { status: 200, headers: page.headers, json: body };
    }
    if ((m = /^\/commits\/(.+)$/.exec(rest)) && method === 'GET') {
      const ref = decodeURIComponent(m[1]!);
      const sha = repo.branches.get(ref) ?? ref;
      const files = repo.commits.get(sha) ?? (/^[0-9a-f]{40}$/.test(sha) ? [] : undefined);
      if (!files) throw new HttpError(422, `No commit found for SHA: ${ref}`);
      const page = paginate(files.slice(0, 3000), query, path, 300);
      return { status: 200, headers: page.headers, json: commitBody(repo, sha, page.items) };
    }
    if ((m = /^\/branches\/(.+)$/.exec(rest)) && method === 'GET') {
      const branch = decodeURIComponent(m[1]!);
      const sha = repo.branches.get(branch);
      if (!sha) throw new HttpError(404, 'Branch not found');
      const body: Schemas['branch-with-protection'] = {
        name: branch,
        commit: commitBody(repo, sha, []),
        _links: { self: apiUrl(`/repos/${repo.fullName}/branches/${encodeURIComponent(branch)}`), html: htmlUrl(`/${repo.fullName}/tree/${branch}`) },
        protected: false,
        protection: { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
        protection_url: apiUrl(`/repos/${repo.fullName}/branches/${encodeURIComponent(branch)}/protection`),
      };
      return { status: 200, json: body };
    }
    throw new HttpError(404, 'Not Found');
  }

  function runOf(repo: FakeRepo, id: string): FakeRun {
    const run = repo.runs.find((candidate) => candidate.id === Number(id));
    if (!run) throw new HttpError(404, 'Not Found');
    return run;
  }

  function jobOf(repo: FakeRepo, id: string): { run: FakeRun; job: FakeJob } {
    const entry = state.jobs.get(Number(id));
    if (!entry || entry.repo !== repo) throw new HttpError(404, 'Not Found');
    const run = repo.runs.find((candidate) => candidate.attempts.some((attempt) => attempt.jobs.includes(entry.job)))!;
    return { run, job: entry.job };
  }

  function issueInstallationToken(installationId: number, req: IncomingMessage): Reply {
    const header = req.headers.authorization ?? '';
    const jwt = /^bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!jwt) throw new HttpError(401, 'A JSON web token could not be decoded');
    const [encodedHeader, encodedPayload, encodedSignature] = jwt.split('.');
    if (!encodedHeader || !encodedPayload || !encodedSignature) throw new HttpError(401, 'A JSON web token could not be decoded');
    let payload: { iss?: unknown; iat?: unknown; exp?: unknown };
    let alg: unknown;
    try {
      alg = (JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
      payload = JSON.parse(Buffer.from(encodedPayload, 'base64url').toString('utf8')) as typeof payload;
    } catch {
      throw new HttpError(401, 'A JSON web token could not be decoded');
    }
    const app = apps.find((candidate) => String(candidate.appId) === String(payload.iss));
    if (!app || alg !== 'RS256') throw new HttpError(401, "'Issuer' claim ('iss') must be an Integer");
    const signed = verifySignature('RSA-SHA256', Buffer.from(`${encodedHeader}.${encodedPayload}`), app.key, Buffer.from(encodedSignature, 'base64url'));
    if (!signed) throw new HttpError(401, 'A JSON web token could not be decoded');
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.exp !== 'number' || payload.exp <= now) throw new HttpError(401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
    if (typeof payload.iat !== 'number' || payload.iat > now + 60) throw new HttpError(401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
    if (payload.exp - payload.iat > 600 + 60) throw new HttpError(401, "Expiration time' claim ('exp') is too far in the future");
    if (!app.installations.includes(installationId)) throw new HttpError(404, 'Not Found');
    const token = `ghs_${randomBytes(18).toString('base64url')}`;
    acceptedTokens.add(token);
    issuedTokens.push(token);
    tokenInstallations.set(token, installationId);
    const body: Schemas['installation-token'] = {
      token,
      expires_at: iso(new Date(Date.now() + 3600_000)),
      permissions: { actions: 'write', contents: 'read', pull_requests: 'read' },
      repository_selection: 'all',
    };
    return { status: 201, json: body };
  }

  function serveLog(method: string, path: string, query: URLSearchParams, req: IncomingMessage): Reply {
    if (req.headers.authorization) {
      // Azure blob storage refuses a second credential next to the URL's signature: a forwarded token shows.
      throw new HttpError(403, 'AuthenticationFailed: Authorization header not allowed with a signed URL');
    }
    const m = /^\/\d+\/jobs\/(\d+)\/([0-9a-f]+)\/job-logs\.txt$/.exec(path);
    const entry = m ? logUrls.get(m[2]!) : undefined;
    if (method !== 'GET' || !m || !entry || entry.jobId !== Number(m[1]) || !query.get('sig')) throw new HttpError(404, 'BlobNotFound');
    if (Date.now() > entry.expiresAt) throw new HttpError(403, 'AuthenticationFailed: Signed expiry time has passed');
    const job = state.jobs.get(entry.jobId)!.job;
    const log = job.log ?? `${iso(job.startedAt)} ##[group]Run ${job.name}\n${iso(job.completedAt ?? job.startedAt)} Job ${job.name} ${job.conclusion}\n`;
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: log };
  }

  function conditional(req: IncomingMessage, json: unknown): Reply {
    const etag = `W/"${createHash('sha256').update(JSON.stringify(json)).digest('hex').slice(0, 32)}"`;
    const cacheHeaders = { etag, 'cache-control': 'private, max-age=60, s-maxage=60' };
    const candidates = (req.headers['if-none-match'] ?? '').split(',').map((value) => value.trim());
    if (candidates.includes(etag)) {
      rate.used -= 1; // GitHub does not count a 304 against the rate limit
      return { status: 304, headers: cacheHeaders };
    }
    return { status: 200, headers: cacheHeaders, json };
  }

  function paginate<T>(items: T[], query: URLSearchParams, path: string, defaultPerPage = 30): { items: T[]; headers: Record<string, string> } {
    const perPage = Math.min(Math.max(Number(query.get('per_page') ?? defaultPerPage) || defaultPerPage, 1), path.includes('/commits/') ? 3000 : 100);
    const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
    const last = Math.max(Math.ceil(items.length / perPage), 1);
    const link = (n: number, rel: string): string => {
      const next = new URLSearchParams(query);
      next.set('per_page', String(perPage));
      next.set('page', String(n));
      return `<${apiUrl(path)}?${next.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) links.push(link(1, 'first'));
    return { items: items.slice((page - 1) * perPage, page * perPage), headers: links.length ? { link: links.join(', ') } : {} };
  }

  // ---- bodies -------------------------------------------------------------------------------------------

  function rewrite<T>(value: T, repo: FakeRepo): T {
    const text = JSON.stringify(value)
      .replaceAll('https://api.github.com', baseUrl)
      .replaceAll('https://github.com', `${apiOrigin}/_html`)
      .replaceAll('octokit-fixture-org/hello-world', repo.fullName)
      .replaceAll('"hello-world"', JSON.stringify(repo.name))
      .replaceAll('octokit-fixture-org', repo.owner);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    parsed.id = repo.id;
    return parsed as T;
  }

  function repositoryBody(repo: FakeRepo): Schemas['full-repository'] {
    return { ...rewrite(recordedRepository.response as Schemas['full-repository'], repo), default_branch: repo.defaultBranch };
  }

  function minimalRepository(repo: FakeRepo): Schemas['minimal-repository'] {
    return rewrite(recordedRepository.response as Schemas['minimal-repository'], repo);
  }

  function runBody(run: FakeRun, attempt: FakeAttempt): Schemas['workflow-run'] {
    const repo = run.repo;
    const base = `/repos/${repo.fullName}/actions/runs/${run.id}`;
    const repository = minimalRepository(repo);
    const actor = repository.owner;
    return {
      id: run.id,
      name: run.name,
      node_id: Buffer.from(`WorkflowRun${run.id}`).toString('base64'),
      check_suite_id: run.id + 1,
      check_suite_node_id: Buffer.from(`CheckSuite${run.id + 1}`).toString('base64'),
      head_branch: run.headBranch,
      head_sha: run.headSha,
      path: run.path,
      display_title: `${run.name} on ${run.headBranch}`,
      run_number: run.runNumber,
      run_attempt: attempt.number,
      event: run.event,
      status: attempt.status,
      conclusion: attempt.conclusion,
      workflow_id: 100 + (repo.id % 1000),
      url: apiUrl(base),
      html_url: htmlUrl(`/${repo.fullName}/actions/runs/${run.id}`),
      pull_requests: run.pullRequests.map((number) => ({
        id: number + 10_000,
        number,
        url: apiUrl(`/repos/${repo.fullName}/pulls/${number}`),
        head: { ref: run.headBranch, sha: run.headSha, repo: { id: repo.id, url: apiUrl(`/repos/${repo.fullName}`), name: repo.name } },
        base: { ref: repo.defaultBranch, sha: repo.branches.get(repo.defaultBranch) ?? run.headSha, repo: { id: repo.id, url: apiUrl(`/repos/${repo.fullName}`), name: repo.name } },
      })),
      created_at: iso(run.createdAt),
      updated_at: iso(attempt.updatedAt),
      actor,
      triggering_actor: actor,
      run_started_at: iso(attempt.startedAt),
      jobs_url: apiUrl(`${base}/jobs`),
      logs_url: apiUrl(`${base}/logs`),
      check_suite_url: apiUrl(`/repos/${repo.fullName}/check-suites/${run.id + 1}`),
      artifacts_url: apiUrl(`${base}/artifacts`),
      cancel_url: apiUrl(`${base}/cancel`),
      rerun_url: apiUrl(`${base}/rerun`),
      previous_attempt_url: attempt.number > 1 ? apiUrl(`${base}/attempts/${attempt.number - 1}`) : null,
      workflow_url: apiUrl(`/repos/${repo.fullName}/actions/workflows/${100 + (repo.id % 1000)}`),
      head_commit: {
        id: run.headSha,
        tree_id: sha1(`tree:${run.headSha}`),
        message: `Commit ${run.headSha.slice(0, 7)}`,
        timestamp: iso(run.createdAt),
        author: { name: 'Octo Cat', email: 'octocat@example.com' },
        committer: { name: 'GitHub', email: 'noreply@github.com' },
      },
      repository,
      head_repository: repository,
    };
  }

  function jobBody(run: FakeRun, job: FakeJob): Schemas['job'] {
    const repo = run.repo;
    const assigned = job.status !== 'queued';
    return {
      id: job.id,
      run_id: run.id,
      run_url: apiUrl(`/repos/${repo.fullName}/actions/runs/${run.id}`),
      run_attempt: job.attempt,
      node_id: Buffer.from(`CheckRun${job.id}`).toString('base64'),
      head_sha: run.headSha,
      url: apiUrl(`/repos/${repo.fullName}/actions/jobs/${job.id}`),
      html_url: htmlUrl(`/${repo.fullName}/actions/runs/${run.id}/job/${job.id}`),
      status: job.status,
      conclusion: job.conclusion,
      created_at: iso(job.startedAt),
      started_at: iso(job.startedAt),
      completed_at: job.completedAt ? iso(job.completedAt) : null,
      name: job.name,
      steps: job.steps.map((step, index) => ({
        name: step.name,
        number: index + 1,
        status: job.status === 'completed' ? 'completed' : index === 0 && assigned ? 'in_progress' : 'queued',
        conclusion: job.status === 'completed' ? (step.conclusion ?? 'success') : null,
        started_at: assigned ? iso(job.startedAt) : null,
        completed_at: job.completedAt ? iso(job.completedAt) : null,
      })),
      check_run_url: apiUrl(`/repos/${repo.fullName}/check-runs/${job.id}`),
      labels: job.labels,
      runner_id: assigned ? 1 : null,
      runner_name: assigned ? 'GitHub Actions 1' : null,
      runner_group_id: assigned ? 2 : null,
      runner_group_name: assigned ? 'GitHub Actions' : null,
      workflow_name: run.name,
      head_branch: run.headBranch,
    };
  }

  function diffEntry(repo: FakeRepo, file: string): Schemas['diff-entry'] {
    return {
      sha: sha1(`blob:${file}`),
      filename: file,
      status: 'modified',
      additions: 1,
      deletions: 1,
      changes: 2,
      blob_url: htmlUrl(`/${repo.fullName}/blob/HEAD/${file}`),
      raw_url: htmlUrl(`/${repo.fullName}/raw/HEAD/${file}`),
      contents_url: apiUrl(`/repos/${repo.fullName}/contents/${file}`),
    };
  }

  function commitBody(repo: FakeRepo, sha: string, files: string[]): Schemas['commit'] {
    const author = minimalRepository(repo).owner;
    return {
      url: apiUrl(`/repos/${repo.fullName}/commits/${sha}`),
      sha,
      node_id: Buffer.from(`Commit${sha}`).toString('base64'),
      html_url: htmlUrl(`/${repo.fullName}/commit/${sha}`),
      comments_url: apiUrl(`/repos/${repo.fullName}/commits/${sha}/comments`),
      commit: {
        url: apiUrl(`/repos/${repo.fullName}/git/commits/${sha}`),
        author: { name: 'Octo Cat', email: 'octocat@example.com', date: iso(new Date()) },
        committer: { name: 'GitHub', email: 'noreply@github.com', date: iso(new Date()) },
        message: `Commit ${sha.slice(0, 7)}`,
        comment_count: 0,
        tree: { sha: sha1(`tree:${sha}`), url: apiUrl(`/repos/${repo.fullName}/git/trees/${sha1(`tree:${sha}`)}`) },
      },
      author,
      committer: author,
      parents: [],
      files: files.map((file) => diffEntry(repo, file)),
    };
  }

  // ---- writing --------------------------------------------------------------------------------------------

  async function send(origin: 'api' | 'logs', req: IncomingMessage, res: ServerResponse, reply: Reply, fault: Fault | undefined): Promise<void> {
    if (res.destroyed || req.socket.destroyed) return;
    const headers: Record<string, string> = {};
    if (origin === 'api') {
      Object.assign(headers, COMMON_HEADERS, {
        'x-ratelimit-limit': String(rate.limit),
        'x-ratelimit-remaining': String(Math.max(rate.limit - rate.used, 0)),
        'x-ratelimit-reset': String(rate.reset),
        'x-ratelimit-used': String(rate.used),
        'x-ratelimit-resource': 'core',
        'x-github-request-id': `${randomBytes(2).toString('hex').toUpperCase()}:${randomBytes(3).toString('hex').toUpperCase()}:${randomBytes(4).toString('hex').toUpperCase()}`,
      });
    }
    headers.date = new Date().toUTCString();
    Object.assign(headers, reply.headers);
    let chunks: AsyncIterable<Buffer>;
    let length: number | undefined;
    if (reply.json !== undefined && reply.status !== 304 && reply.status !== 204) {
      const body = Buffer.from(JSON.stringify(reply.json));
      headers['content-type'] = 'application/json; charset=utf-8';
      chunks = single(body);
      length = body.length;
    } else if (reply.body !== undefined) {
      ({ chunks, length } = logChunks(reply.body));
    } else {
      chunks = single(Buffer.alloc(0));
      length = reply.status === 304 || reply.status === 204 ? undefined : 0;
    }
    if (length !== undefined) headers['content-length'] = String(length);
    res.writeHead(reply.status, headers);

    let sent = 0;
    try {
      for await (const chunk of chunks) {
        for (const piece of split(chunk, fault)) {
          if (res.destroyed) return;
          if (fault?.kind === 'truncate' && sent + piece.length > fault.afterBytes) {
            const part = piece.subarray(0, Math.max(fault.afterBytes - sent, 0));
            if (part.length) await write(res, part);
            // Let the bytes leave before the connection dies mid-body.
            await sleep(20);
            res.socket?.destroy();
            return;
          }
          await write(res, piece);
          sent += piece.length;
          if (fault?.kind === 'slow') await sleep(fault.delayMs);
        }
      }
      res.end();
    } catch {
      res.destroy();
    }
  }

  const server: GitHubServer = {
    url: baseUrl,
    logsOrigin,
    requests,
    issuedTokens,
    tokenInstallations,
    repo: repoOf,
    get rateLimitUsed() {
      return rate.used;
    },
    inject(options: InjectOptions): Injection {
      let resolveReached!: (request: RecordedRequest) => void;
      const reached = new Promise<RecordedRequest>((resolve) => {
        resolveReached = resolve;
      });
      const active: ActiveInjection = {
        options,
        hits: 0,
        remaining: options.times ?? 1,
        released: false,
        waiters: [],
        reached,
        resolveReached,
      };
      injections.push(active);
      const release = (): void => {
        active.released = true;
        for (const waiter of active.waiters.splice(0)) waiter();
      };
      if (options.kind === 'hold' && options.until) void options.until.then(release, release);
      return {
        get hits() {
          return active.hits;
        },
        get remaining() {
          return active.remaining;
        },
        reached,
        release,
      };
    },
    apiRequests(match: FaultMatch = {}): RecordedRequest[] {
      return requests.filter(
        (request) =>
          request.origin === (match.origin ?? 'api') &&
          (!match.method || request.method === match.method.toUpperCase()) &&
          (match.path === undefined || (match.path instanceof RegExp ? match.path.test(request.path) : request.path === match.path)),
      );
    },
    async close(): Promise<void> {
      for (const injection of injections) {
        injection.released = true;
        for (const waiter of injection.waiters.splice(0)) waiter();
      }
      await Promise.all([stop(api), stop(logs)]);
    },
  };
  return server;
}

function defaultMessage(status: number): string {
  if (status === 404) return 'Not Found';
  if (status === 502) return 'Server Error';
  if (status === 503) return 'Service Unavailable';
  if (status >= 500) return 'Internal Server Error';
  return `Error ${status}`;
}

function logChunks(source: LogSource): { chunks: AsyncIterable<Buffer>; length: number | undefined } {
  if (typeof source === 'string' || Buffer.isBuffer(source)) {
    const body = Buffer.isBuffer(source) ? source : Buffer.from(source);
    return { chunks: single(body), length: body.length };
  }
  const produce = source.chunks;
  return {
    length: source.size,
    chunks: (async function* () {
      for await (const chunk of produce()) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    })(),
  };
}

async function* single(body: Buffer): AsyncIterable<Buffer> {
  if (body.length) yield body;
}

function split(chunk: Buffer, fault: Fault | undefined): Buffer[] {
  if (fault?.kind !== 'slow' || chunk.length <= fault.chunkBytes) return [chunk];
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < chunk.length; offset += fault.chunkBytes) pieces.push(chunk.subarray(offset, offset + fault.chunkBytes));
  return pieces;
}

async function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  if (res.write(chunk)) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
