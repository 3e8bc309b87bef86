import type { FailureSource } from '../../src/api/failure-record.ts';
import type { GitHubAuthConfig } from '../../src/config/operator-config.ts';
import { errorMessage } from '../../src/errors.ts';
import { createGitHubClient, type GitHubClient } from '../../src/github/client.ts';
import { runContextFromRun, type RunObject } from '../../src/report/run-context.ts';
import { reportRun } from '../../src/report/run-report.ts';
import type { Logger } from '../runtime/logger.ts';
import type { RecordWriter, WrittenRecord } from './record-writer.ts';

/**
 * One failed run attempt, from the webhook or the poller, to its FailureRecord: the action's own steps
 * (src/report/run-report.ts), with the GitHub identity the event names (an App installation) or the
 * operator's token. The same attempt reported twice at once (a webhook racing the poller) is done once.
 */

/** Run conclusions that make a record, as the issue and GitHub name them. */
export const FAILED_RUN_CONCLUSIONS: ReadonlySet<string> = new Set(['failure', 'timed_out', 'startup_failure']);

export interface RunReporterOptions {
  auth: GitHubAuthConfig;
  apiUrl: string;
  namespace: string;
  writer: RecordWriter;
  log: Logger;
  /** For tests and the benchmark: the fetch GitHub is reached with. */
  fetch?: typeof fetch;
}

export type ReportOutcome = { kind: 'reported'; record: WrittenRecord } | { kind: 'nothing-to-report' } | { kind: 'in-flight' };

export class RunReporter {
  readonly #options: RunReporterOptions;
  readonly #clients = new Map<string, GitHubClient>();
  readonly #inFlight = new Map<string, Promise<ReportOutcome>>();

  constructor(options: RunReporterOptions) {
    this.#options = options;
  }

  /** The client for an App installation (the event's, else the configured one), or the token's. */
  client(installationId?: number): GitHubClient {
    const { auth } = this.#options;
    const key = 'token' in auth ? 'token' : String(installationId ?? auth.installationId);
    let client = this.#clients.get(key);
    if (client === undefined) {
      const log = this.#options.log;
      client = createGitHubClient({
        baseUrl: this.#options.apiUrl,
        auth: 'token' in auth ? { token: auth.token } : { appId: auth.appId, privateKey: auth.privateKey, installationId: installationId ?? auth.installationId },
        userAgent: 'ci-remediator-operator',
        log: { warn: (message) => log.warn({}, message), debug: (message) => log.debug({}, message) },
        ...(this.#options.fetch !== undefined && { request: { fetch: this.#options.fetch } }),
      });
      this.#clients.set(key, client);
    }
    return client;
  }

  clients(): GitHubClient[] {
    return [...this.#clients.values()];
  }

  report(run: RunObject, source: FailureSource, context: { installationId?: number; deliveryId?: string } = {}): Promise<ReportOutcome> {
    const key = `${run.repository.full_name.toLowerCase()}#${run.id}#${run.run_attempt ?? 1}`;
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running.then(() => ({ kind: 'in-flight' }) as const);
    const work = this.#report(run, source, context).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, work);
    return work;
  }

  async #report(run: RunObject, source: FailureSource, context: { installationId?: number; deliveryId?: string }): Promise<ReportOutcome> {
    const { log } = this.#options;
    const runContext = runContextFromRun(run, this.#options.apiUrl);
    const client = this.client(context.installationId);
    const where = { repository: runContext.repository, runId: runContext.runId, runAttempt: runContext.runAttempt, source };
    const report = await reportRun(client, runContext, {
      source,
      detectedAt: new Date(),
      log: { info: (message) => log.debug(where, message) },
    });
    if (report === undefined) {
      log.info(where, `${source}: the run attempt has no failed job to report`);
      return { kind: 'nothing-to-report' };
    }
    try {
      const record = await this.#options.writer.write(report.spec, this.#options.namespace, {
        logProblems: report.logProblems,
        ...(context.deliveryId !== undefined && { deliveryId: context.deliveryId }),
      });
      return { kind: 'reported', record };
    } catch (error) {
      log.error({ ...where, err: errorMessage(error) }, `${source}: could not create the record`);
      throw error;
    }
  }
}
