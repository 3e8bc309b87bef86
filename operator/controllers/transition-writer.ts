import type { FailureRecord, FailureRecordStatus } from '../../src/api/failure-record.ts';
import type { Transition } from '../../src/api/lifecycle.ts';
import { errorMessage } from '../../src/errors.ts';
import type { Notifier, TransitionNotice } from '../../src/notify/notifier.ts';
import type { RemediationOutcome } from '../../src/remediation/plan.ts';
import type { AuditEntryInput, Store } from '../../src/store/index.ts';
import type { EventRecorder, EventType } from '../runtime/events.ts';
import { patchStatus, type KubeClients } from '../runtime/kube.ts';
import type { Logger } from '../runtime/logger.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import type { WriteTracker } from '../runtime/write-tracker.ts';
import { transitionAuditRow } from './audit-rows.ts';
import { recordRef, type RecordObject } from './record-object.ts';

/**
 * The one way a FailureRecord changes phase. Every controller hands its phase change here, and this does
 * the side effects in the one order that keeps them honest:
 *
 *   1. the audit rows (one per step, after any rows the caller adds, such as the GitHub call that caused it),
 *      in one transaction and idempotent by key: no status may show a phase whose row is missing;
 *   2. the status, with the resourceVersion the decision was based on as its precondition (409: nothing more);
 *   3. one Event for the write (a new record usually takes several steps in one reconcile, and an Event is a
 *      write to kube-apiserver, the bottleneck in a burst);
 *   4. metrics;
 *   5. the notifier, once per step, in order, only now that the row and the status exist.
 *
 * A StoreUnavailableError from step 1 reaches the caller untouched: it decides how the record waits.
 */

export interface TransitionRequest {
  key: string;
  /** The record as read: its resourceVersion is the status write's precondition. */
  record: RecordObject;
  /** The steps, each an allowed move (transitionPath); never empty. */
  path: readonly Transition[];
  /** The audit reason of each step (index-aligned with `path`; the last one repeats when shorter). */
  reasons: readonly string[];
  about: Pick<AuditEntryInput, 'repository' | 'category'>;
  /** Written before the transition rows, in the same transaction. */
  extraRows?: readonly AuditEntryInput[];
  /** The status to write (phase = the last step's `to`). Absent only for a record being deleted: nothing writes its status again. */
  status?: FailureRecordStatus;
  event: { type: EventType; reason: string; message: string };
  /** A remediation that reached its end with this transition, for ci_remediator_remediations_total. */
  remediation?: { action: string; result: RemediationOutcome };
  /** Who caused it, for the notifier: `operator` (default), a Slack user id, `system` for an expiry. */
  actor?: string;
  /** Set for a person (a Slack approver): the transition's audit row then names `actor` as who did it. */
  actorType?: AuditEntryInput['actorType'];
  /** Once the rows are in, with how many were new (0 on a retry): for side effects counted once per record. */
  onAudited?: (inserted: number) => void;
}

export interface TransitionWriterOptions {
  clients: KubeClients;
  /** The calling reconciler's write tracker (its cache-is-behind check sees this write). */
  writes: WriteTracker;
  store: () => Promise<Store>;
  events: EventRecorder;
  metrics: OperatorMetrics;
  notifier: Notifier;
  log: Logger;
  now?: () => Date;
}

export class TransitionWriter {
  readonly #options: TransitionWriterOptions;

  constructor(options: TransitionWriterOptions) {
    this.#options = options;
  }

  /** Writes the transition; returns the record as written (as read, when there is no status to write). */
  async write(request: TransitionRequest): Promise<RecordObject> {
    const { path, record, key } = request;
    if (path.length === 0) throw new Error(`${key}: a transition needs at least one step`);
    const { store, writes, clients, events, metrics, notifier, log } = this.#options;
    const reasonOf = (i: number) => request.reasons[Math.min(i, request.reasons.length - 1)] ?? '';

    const rows = [...(request.extraRows ?? []), ...path.map((step, i) => transitionAuditRow(record, step, reasonOf(i), request.about, person(request)))];
    const inserted = await (await store()).appendAuditBatch(rows);
    request.onAudited?.(inserted);

    const status = request.status;
    const written = status === undefined ? record : await writes.write(key, () => patchStatus<RecordObject>(clients, recordRef(record), record.metadata?.resourceVersion ?? '', status));

    events.emit(record, request.event.type, request.event.reason, request.event.message);
    const at = (this.#options.now ?? (() => new Date()))();
    for (const step of path) {
      metrics.transitions.inc({ to: step.to });
      observeStep(metrics, step, record, status, at);
    }
    if (request.remediation !== undefined) metrics.remediations.inc(request.remediation);

    // All steps handed over at once, before anything is awaited: with the SequencedNotifier the manager wires
    // in, a record's notices are delivered in this order, and the next transition's (from the other queue)
    // after them.
    const delivered = path.map((step, i) =>
      notifier
        .notify({
          record: written as unknown as FailureRecord,
          from: step.from,
          to: step.to,
          reason: i === path.length - 1 ? request.event.reason : step.to,
          message: reasonOf(i),
          actor: request.actor ?? 'operator',
          at,
        })
        // A notifier must not throw into the lifecycle; one that does is logged, never retried from here.
        .catch((error: unknown) => log.warn({ key, to: step.to, err: errorMessage(error) }, 'notifier failed')),
    );
    await Promise.all(delivered);
    return written;
  }
}

/**
 * Delivers the notices of one record one after another, in the order `notify` was called, whichever queue
 * called it; different records do not wait for each other. A record's next transition can only be written
 * after the status of the previous one (resourceVersion precondition), so call order is transition order.
 */
export class SequencedNotifier implements Notifier {
  readonly #inner: Notifier;
  readonly #log: Logger;
  readonly #tails = new Map<string, Promise<void>>();

  constructor(inner: Notifier, log: Logger) {
    this.#inner = inner;
    this.#log = log;
  }

  notify(notice: TransitionNotice): Promise<void> {
    const metadata = (notice.record as { metadata?: { namespace?: string; name?: string } }).metadata;
    const key = `${metadata?.namespace ?? ''}/${metadata?.name ?? ''}`;
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const delivered = previous.then(() =>
      this.#inner.notify(notice).catch((error: unknown) => this.#log.warn({ key, to: notice.to, err: errorMessage(error) }, 'notifier failed')),
    );
    this.#tails.set(key, delivered);
    // Nothing kept once a record's notices are all delivered.
    void delivered.then(() => {
      if (this.#tails.get(key) === delivered) this.#tails.delete(key);
    });
    return delivered;
  }
}

const GATE_DECISIONS: Readonly<Partial<Record<string, string>>> = { AutoApproved: 'auto', AwaitingApproval: 'approval', Blocked: 'blocked' };

/** The lifecycle's timing and risk metrics, from the one place every phase change passes. */
function observeStep(metrics: OperatorMetrics, step: Transition, record: RecordObject, status: FailureRecordStatus | undefined, at: Date): void {
  const decision = GATE_DECISIONS[step.to];
  // The first gate only (Analyzed -> ...): a re-gate after a policy change is not a new decision on the failure.
  if (decision !== undefined && step.from === 'Analyzed') {
    const created = new Date(record.metadata?.creationTimestamp ?? Number.NaN).getTime();
    if (Number.isFinite(created)) metrics.decisionSeconds.observe({ decision }, Math.max(0, at.getTime() - created) / 1000);
    if (status?.gate !== undefined) metrics.riskScore.observe(status.gate.riskScore);
  }
  if (step.to === 'Expired') metrics.approvalsExpired.inc();
  if (step.to === 'Succeeded') {
    const detected = Date.parse(String((record.spec as { detectedAt?: unknown } | undefined)?.detectedAt ?? ''));
    if (Number.isFinite(detected)) metrics.timeToGreenSeconds.observe(Math.max(0, at.getTime() - detected) / 1000);
  }
}

function person(request: TransitionRequest): Pick<AuditEntryInput, 'actor' | 'actorType'> | undefined {
  return request.actor !== undefined && request.actorType !== undefined && request.actorType !== 'system' ? { actor: request.actor, actorType: request.actorType } : undefined;
}
