import type { IncomingMessage, ServerResponse } from 'node:http';
import { Webhooks } from '@octokit/webhooks';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import { describeIssues } from '../../src/api/common.ts';
import { errorMessage } from '../../src/errors.ts';
import type { Store } from '../../src/store/index.ts';
import type { Logger } from '../runtime/logger.ts';
import type { PolicyFilter } from './policy-filter.ts';
import { FAILED_RUN_CONCLUSIONS, type RunReporter } from './run-reporter.ts';
import { acceptJsonPost } from '../http/json-post.ts';

/**
 * `POST /api/v1/github/webhook`: GitHub's `workflow_run` and `workflow_job` events (a GitHub App's webhook or a
 * repository/organization webhook, content type application/json). Checked in order of cost, refused at the
 * first failing check with `{ error, message }`:
 *
 *   405 not POST · 415 not JSON · 413 over the size limit · 401 X-Hub-Signature-256 missing or wrong (verified
 *   by @octokit/webhooks over the raw body) · 400 no X-GitHub-Event / X-GitHub-Delivery, malformed JSON, an
 *   event other than ping, workflow_run, workflow_job, or a payload without what a report needs ·
 *   409 a delivery id already received (a replay) · 503 the store or the API server is down (nothing was
 *   kept: GitHub's redelivery will be accepted) · 200 ping · 202 accepted (the report starts after the
 *   answer, within GitHub's 10 s); a repository no policy governs, or a run that did not fail, is accepted
 *   and dropped (`ignored` says why; a debug log line too).
 */

export const GITHUB_WEBHOOK_PATH = '/api/v1/github/webhook';
/** workflow_run payloads are tens of KiB; GitHub caps any payload at 25 MB. */
export const MAX_WEBHOOK_BODY_BYTES = 2 * 1024 * 1024;
const HANDLED_EVENTS = ['workflow_run', 'workflow_job'] as const;
const RETRY_AFTER_SECONDS = '10';
/** GitHub redelivers deliveries of the past 3 days; ids older than a week can go. */
const DELIVERY_RETENTION_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
const CONCURRENT_REPORTS = 4;

const Repository = z.object({ full_name: z.string().min(3) });
const Installation = z.object({ id: z.number().int().positive() }).optional();
const Actor = z.object({ login: z.string() }).nullish();
const Run = z.object({
  id: z.number().int().positive(),
  name: z.string().nullish(),
  path: z.string().min(1),
  run_attempt: z.number().int().positive(),
  event: z.string().min(1),
  status: z.string().nullish(),
  conclusion: z.string().nullish(),
  head_sha: z.string().regex(/^[0-9a-f]{40}$/),
  head_branch: z.string().nullable(),
  html_url: z.string().url(),
  actor: Actor,
  triggering_actor: Actor,
  pull_requests: z.array(z.object({ number: z.number().int().positive(), base: z.object({ ref: z.string() }) })).nullish(),
});
const WorkflowRunEvent = z.object({ action: z.string(), workflow_run: Run, repository: Repository, installation: Installation });
const WorkflowJobEvent = z.object({
  action: z.string(),
  workflow_job: z.object({
    id: z.number().int().positive(),
    run_id: z.number().int().positive(),
    run_attempt: z.number().int().positive(),
    status: z.string(),
    conclusion: z.string().nullish(),
  }),
  repository: Repository,
  installation: Installation,
});

export interface GitHubWebhookOptions {
  secret: string;
  reporter: RunReporter;
  filter: PolicyFilter;
  store: () => Promise<Store>;
  log: Logger;
  registry?: Registry;
  maxBodyBytes?: number;
}

export type WebhookHandler = ((request: IncomingMessage, response: ServerResponse) => void) & { idle(): Promise<void> };

export function createGitHubWebhookHandler(options: GitHubWebhookOptions): WebhookHandler {
  const webhooks = new Webhooks({ secret: options.secret });
  const maxBodyBytes = options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  const { log } = options;
  const requests = new Counter({
    name: 'ci_remediator_github_webhook_requests_total',
    help: 'Requests to POST /api/v1/github/webhook, by HTTP status code.',
    labelNames: ['code'] as const,
    registers: options.registry === undefined ? [] : [options.registry],
  });
  const work = new WorkPool(CONCURRENT_REPORTS);
  let prunedAt = 0;
  const prune = (store: Store): void => {
    if (Date.now() - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = Date.now();
    store.pruneDeliveries(new Date(Date.now() - DELIVERY_RETENTION_MS)).catch((error: unknown) => log.warn({ err: errorMessage(error) }, 'github webhook: old delivery ids not pruned'));
  };

  const answer = (response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void => {
    requests.inc({ code: String(status) });
    if (response.headersSent) return;
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(`${JSON.stringify(body)}\n`);
  };
  const refuse = (request: IncomingMessage, response: ServerResponse, status: number, error: string, message: string): void => {
    log.info({ status, error, delivery: header(request, 'x-github-delivery'), remote: request.socket.remoteAddress }, `github webhook refused: ${message}`);
    answer(response, status, { error, message });
  };

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    if (!acceptJsonPost(request, response, { requests, refuse, maxBodyBytes, mediaTypeHint: "set the webhook's content type to application/json" })) return;
    if (header(request, 'x-hub-signature-256') === undefined) {
      refuse(request, response, 401, 'signature-missing', 'X-Hub-Signature-256 is missing: give the webhook a secret (the one in --github-webhook-secret-file).');
      return;
    }
    readBounded(request, maxBodyBytes).then(
      (body) => {
        if (body === undefined) {
          response.setHeader('connection', 'close');
          refuse(request, response, 413, 'body-too-large', `The body must be at most ${maxBodyBytes} bytes.`);
          return;
        }
        handleBody(request, response, body).catch((error: unknown) => {
          log.error({ err: errorMessage(error) }, 'github webhook failed');
          answer(response, 500, { error: 'internal-error', message: 'The delivery could not be handled; see the operator log.' });
        });
      },
      () => {
        if (!response.headersSent) refuse(request, response, 400, 'body-unreadable', 'The body could not be read.');
      },
    );
  };

  async function handleBody(request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<void> {
    const raw = body.toString('utf8');
    // Over the raw bytes as received: re-serialized JSON would not carry the same signature.
    let valid = false;
    try {
      valid = await webhooks.verify(raw, header(request, 'x-hub-signature-256')!);
    } catch {
      valid = false;
    }
    if (!valid) {
      refuse(request, response, 401, 'signature-mismatch', 'X-Hub-Signature-256 does not match the body under the configured secret.');
      return;
    }
    const event = header(request, 'x-github-event');
    const delivery = header(request, 'x-github-delivery');
    if (event === undefined || event === '') {
      refuse(request, response, 400, 'event-missing', 'X-GitHub-Event is missing.');
      return;
    }
    if (delivery === undefined || !/^[A-Za-z0-9-]{1,100}$/.test(delivery)) {
      refuse(request, response, 400, 'delivery-missing', 'X-GitHub-Delivery is missing or not a delivery id.');
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch (error) {
      refuse(request, response, 400, 'malformed-json', `The body is not valid JSON: ${errorMessage(error)}`);
      return;
    }
    if (event === 'ping') {
      answer(response, 200, { ok: true, message: 'pong: subscribe this webhook to workflow_run (and optionally workflow_job) events.' });
      return;
    }
    if (!(HANDLED_EVENTS as readonly string[]).includes(event)) {
      refuse(request, response, 400, 'unsupported-event', `Event '${event.slice(0, 64)}' is not handled; subscribe to ${HANDLED_EVENTS.join(' and ')} only.`);
      return;
    }
    const parsed = event === 'workflow_run' ? WorkflowRunEvent.safeParse(payload) : WorkflowJobEvent.safeParse(payload);
    if (!parsed.success) {
      refuse(request, response, 400, 'invalid-payload', `The ${event} payload lacks what a report needs: ${describeIssues(parsed.error.issues, payload).slice(0, 5).join('; ')}`);
      return;
    }
    const repository = parsed.data.repository.full_name;

    let store: Store;
    try {
      store = await options.store();
      prune(store);
      if (!(await store.rememberDelivery({ id: delivery, event, repository }))) {
        refuse(request, response, 409, 'replayed', `Delivery ${delivery} was already received.`);
        return;
      }
    } catch (error) {
      log.warn({ err: errorMessage(error), delivery }, 'github webhook: the store is unavailable');
      answer(response, 503, { error: 'store-unavailable', message: 'The delivery could not be recorded; redeliver it later.' }, { 'retry-after': RETRY_AFTER_SECONDS });
      return;
    }

    const ignored = ignoredBecause(event, parsed.data);
    let refusal: string | undefined;
    try {
      refusal = ignored ?? (await options.filter.refusal(repository));
    } catch (error) {
      await store.forgetDelivery(delivery).catch(() => undefined);
      log.warn({ err: errorMessage(error), delivery }, 'github webhook: cannot list the RemediationPolicies');
      answer(response, 503, { error: 'api-server-unavailable', message: 'The policies could not be read; redeliver it later.' }, { 'retry-after': RETRY_AFTER_SECONDS });
      return;
    }
    if (refusal !== undefined) {
      log.debug({ delivery, event, repository }, `github webhook: dropped (${refusal})`);
      answer(response, 202, { accepted: true, ignored: refusal });
      return;
    }
    answer(response, 202, { accepted: true });
    // After the answer: GitHub waits at most 10 s, a 5 MB log takes longer on a slow link.
    work.run(() => reportDelivery(event, parsed.data, delivery));
  }

  async function reportDelivery(event: string, data: z.infer<typeof WorkflowRunEvent> | z.infer<typeof WorkflowJobEvent>, delivery: string): Promise<void> {
    const installationId = data.installation?.id;
    const context = { deliveryId: delivery, ...(installationId !== undefined && { installationId }) };
    try {
      if ('workflow_run' in data) {
        await options.reporter.report({ ...data.workflow_run, repository: data.repository }, 'webhook', context);
        return;
      }
      // A failed job is reported with its run, once the run is over: the record is per run attempt, and
      // immutable, so a record made at the first failed job would miss the jobs failing after it.
      const job = data.workflow_job;
      const run = await options.reporter.client(installationId).getRunAttempt(data.repository.full_name, job.run_id, job.run_attempt);
      const attempt = run.run;
      if (attempt === undefined || attempt.status !== 'completed' || !FAILED_RUN_CONCLUSIONS.has(attempt.conclusion ?? '')) {
        log.debug({ delivery, repository: data.repository.full_name, runId: job.run_id }, 'github webhook: job failed, run not over yet; the workflow_run event reports it');
        return;
      }
      await options.reporter.report({ ...attempt, repository: data.repository }, 'webhook', context);
    } catch (error) {
      log.error({ err: errorMessage(error), delivery, repository: data.repository.full_name }, 'github webhook: report failed');
    }
  }

  return Object.assign(handler, { idle: () => work.idle() });
}

/** Why an authentic, well-formed event makes no record, or undefined when it may. */
function ignoredBecause(event: string, data: z.infer<typeof WorkflowRunEvent> | z.infer<typeof WorkflowJobEvent>): string | undefined {
  if ('workflow_run' in data) {
    if (data.action !== 'completed') return `workflow_run action '${data.action}' (only completed runs are reported)`;
    const conclusion = data.workflow_run.conclusion ?? 'none';
    return FAILED_RUN_CONCLUSIONS.has(conclusion) ? undefined : `run conclusion '${conclusion}' (only ${[...FAILED_RUN_CONCLUSIONS].join(', ')} are reported)`;
  }
  if (data.action !== 'completed') return `${event} action '${data.action}'`;
  const conclusion = data.workflow_job.conclusion ?? 'none';
  return conclusion === 'failure' || conclusion === 'timed_out' ? undefined : `job conclusion '${conclusion}'`;
}

/** At most `limit` reports at once; the rest wait their turn. */
class WorkPool {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: Array<() => Promise<void>> = [];
  #idle: Array<() => void> = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  run(task: () => Promise<void>): void {
    this.#waiting.push(task);
    this.#next();
  }

  idle(): Promise<void> {
    if (this.#running === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #next(): void {
    while (this.#running < this.#limit && this.#waiting.length > 0) {
      const task = this.#waiting.shift()!;
      this.#running += 1;
      void task().finally(() => {
        this.#running -= 1;
        this.#next();
        if (this.#running === 0 && this.#waiting.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
      });
    }
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The body, or undefined as soon as it exceeds `max` bytes (the rest is never read). */
function readBounded(request: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      if (size < 0) return;
      size += chunk.length;
      if (size > max) {
        size = -1;
        request.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (size >= 0) resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
    request.on('aborted', () => reject(new Error('the client closed the connection')));
  });
}
