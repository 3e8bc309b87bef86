import { Counter, Gauge, type Registry } from 'prom-client';
import { errorMessage } from '../../src/errors.ts';
import { GitHubRateLimitError, type WorkflowRun } from '../../src/github/client.ts';
import type { PollState, Store } from '../../src/store/index.ts';
import type { Logger } from '../runtime/logger.ts';
import type { PolicyFilter } from './policy-filter.ts';
import { FAILED_RUN_CONCLUSIONS, type RunReporter } from './run-reporter.ts';

/**
 * The poller (`--poll`): for every repository the policies name, every `--poll-interval` (jittered), one
 * conditional listing of its completed runs. An idle repository answers 304 to the stored ETag, which GitHub
 * does not count against the rate limit. A failed run updated after the repository's watermark is reported
 * (source `poller`); the watermark and ETag are saved in the store only once every run of the listing was
 * handled, so a restart neither misses a run (a report that failed is retried by the next poll) nor repeats
 * one. Only the leader polls. Repositories are polled one at a time: GitHub's guidance against secondary limits.
 */

/** Runs are listed by creation time; one created this long before the watermark can still complete after it. */
const LONGEST_RUN_MS = 6 * 3_600_000;
const INSTALLATION_REPOS_TTL_MS = 10 * 60_000;
const GLOB = /[*?[\]{}!]/;

export interface PollerOptions {
  reporter: RunReporter;
  filter: PolicyFilter;
  store: () => Promise<Store>;
  log: Logger;
  intervalMs: number;
  backfillMs: number;
  /** Repositories the policies' globs are matched against (--poll-repositories). */
  repositories: readonly string[];
  /** With a GitHub App: its installation's repositories are matched against the globs too. */
  useInstallation: boolean;
  canPoll: () => boolean;
  registry?: Registry;
  now?: () => Date;
  random?: () => number;
}

export interface PollResult {
  repositories: number;
  notModified: number;
  reported: number;
  /** True when this replica did not poll (not the leader). */
  skipped?: boolean;
}

export class Poller {
  readonly #options: PollerOptions;
  readonly #now: () => Date;
  readonly #random: () => number;
  readonly #listings: Counter<'result'>;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #current: Promise<unknown> | undefined;
  #pausedUntil = 0;
  #installationRepos: { at: number; names: string[] } | undefined;

  constructor(options: PollerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#random = options.random ?? Math.random;
    const registers = options.registry === undefined ? [] : [options.registry];
    this.#listings = new Counter({
      name: 'ci_remediator_poller_listings_total',
      help: 'Run listings the poller requested, by result (not-modified: a 304, free of the rate limit).',
      labelNames: ['result'] as const,
      registers,
    });
    const reporter = options.reporter;
    new Gauge({
      name: 'ci_remediator_github_rate_limit_remaining',
      help: "GitHub's primary rate limit left to the operator's GitHub identity, as its last answer said.",
      registers,
      collect() {
        const known = reporter.clients().flatMap((client) => (client.rateLimit === undefined ? [] : [client.rateLimit.remaining]));
        if (known.length > 0) this.set(Math.min(...known));
      },
    });
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#current?.catch(() => undefined);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#current = this.pollOnce()
        .catch((error: unknown) => {
          this.#options.log.warn({ err: errorMessage(error) }, 'poll failed');
          return undefined;
        })
        .then((result) => result, () => undefined)
        .then((result) => {
          // A replica that does not lead (yet) looks again soon: it may win the Lease any moment.
          if (result?.skipped === true) return this.#schedule(Math.min(this.#options.intervalMs, 1_000));
          const jitter = 0.9 + 0.2 * this.#random();
          this.#schedule(Math.round(this.#options.intervalMs * jitter));
        });
    }, delayMs);
    this.#timer.unref();
  }

  /** One pass over every repository (nothing when this replica does not lead, or a rate limit is waited out). */
  async pollOnce(): Promise<PollResult> {
    const result: PollResult = { repositories: 0, notModified: 0, reported: 0 };
    if (!this.#options.canPoll()) return { ...result, skipped: true };
    if (this.#now().getTime() < this.#pausedUntil) return result;
    const store = await this.#options.store();
    for (const repository of await this.repositories()) {
      if (this.#stopped || !this.#options.canPoll()) break;
      result.repositories += 1;
      try {
        const polled = await this.#pollRepository(store, repository);
        if (polled.notModified) result.notModified += 1;
        result.reported += polled.reported;
      } catch (error) {
        if (error instanceof GitHubRateLimitError) {
          this.#pausedUntil = error.resetAt.getTime();
          this.#options.log.warn({ repository, resetAt: error.resetAt.toISOString(), kind: error.kind }, 'GitHub rate limit reached; polling pauses until it resets');
          break;
        }
        this.#options.log.warn({ repository, err: errorMessage(error) }, 'poll of a repository failed; the next poll retries it');
      }
    }
    return result;
  }

  /** The policies' literal repositories, and their globs matched against the known repositories. */
  async repositories(): Promise<string[]> {
    const policies = await this.#options.filter.policies();
    const patterns = policies.flatMap((policy) => policy.spec.repositories);
    const candidates = new Map<string, string>();
    for (const pattern of patterns) if (!GLOB.test(pattern)) candidates.set(pattern.toLowerCase(), pattern);
    const known = [...this.#options.repositories, ...(await this.#installationRepositories())];
    for (const name of known) candidates.set(name.toLowerCase(), name);
    const governed: string[] = [];
    for (const name of candidates.values()) if ((await this.#options.filter.refusal(name)) === undefined) governed.push(name);
    return governed.sort();
  }

  async #installationRepositories(): Promise<string[]> {
    if (!this.#options.useInstallation) return [];
    const cached = this.#installationRepos;
    if (cached !== undefined && Date.now() - cached.at < INSTALLATION_REPOS_TTL_MS) return cached.names;
    const names = await this.#options.reporter.client().listInstallationRepositories();
    this.#installationRepos = { at: Date.now(), names };
    return names;
  }

  async #pollRepository(store: Store, repository: string): Promise<{ notModified: boolean; reported: number }> {
    const now = this.#now();
    const state: PollState = (await store.pollState(repository)) ?? {
      repository,
      etag: null,
      watermark: new Date(now.getTime() - this.#options.backfillMs),
      seenAtWatermark: [],
    };
    const client = this.#options.reporter.client();
    const listing = await client.listCompletedRuns(repository, {
      createdSince: new Date(state.watermark.getTime() - LONGEST_RUN_MS),
      ...(state.etag !== null && { etag: state.etag }),
    });
    this.#listings.inc({ result: listing.notModified ? 'not-modified' : 'changed' });
    if (listing.notModified) return { notModified: true, reported: 0 };

    const fresh = listing.runs.filter((run) => isAfter(run, state)).sort((a, b) => updatedAt(a) - updatedAt(b));
    let watermark = state.watermark.getTime();
    let seen = [...state.seenAtWatermark];
    let reported = 0;
    let complete = true;
    for (const run of fresh) {
      if (run.status === 'completed' && FAILED_RUN_CONCLUSIONS.has(run.conclusion ?? '')) {
        try {
          const outcome = await this.#options.reporter.report(run, 'poller');
          if (outcome.kind === 'reported') reported += 1;
        } catch (error) {
          // Not past this run: the next poll lists it again (no ETag saved) and retries it.
          this.#options.log.warn({ repository, runId: run.id, err: errorMessage(error) }, 'poller: report failed; retried next poll');
          complete = false;
          break;
        }
      }
      const at = updatedAt(run);
      if (at > watermark) {
        watermark = at;
        seen = [];
      }
      seen.push(runKey(run));
    }
    await store.savePollState({
      repository,
      etag: complete && listing.complete ? (listing.etag ?? null) : null,
      watermark: new Date(watermark),
      seenAtWatermark: seen,
    });
    return { notModified: false, reported };
  }
}

function updatedAt(run: WorkflowRun): number {
  return Date.parse(run.updated_at);
}

function runKey(run: WorkflowRun): string {
  return `${run.id}/${run.run_attempt ?? 1}`;
}

function isAfter(run: WorkflowRun, state: PollState): boolean {
  const at = updatedAt(run);
  const mark = state.watermark.getTime();
  return at > mark || (at === mark && !state.seenAtWatermark.includes(runKey(run)));
}
