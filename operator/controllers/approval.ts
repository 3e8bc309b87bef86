import { FailureRecordSpec, type FailureRecordStatus } from '../../src/api/failure-record.ts';
import { deriveReady, PRE_APPROVAL_CONDITIONS, Reason, setCondition } from '../../src/api/lifecycle.ts';
import { StoreUnavailableError } from '../../src/store/index.ts';
import type { Reconcile, ReconcileResult } from '../runtime/controller.ts';
import { TransientError } from '../runtime/reconcile-errors.ts';
import type { WriteTracker } from '../runtime/write-tracker.ts';
import { categoryOf, repositoryOf } from './audit-rows.ts';
import { ownerParts, type RecordOwnerDeps } from './owner-deps.ts';
import { cachedRecord } from './record-object.ts';
import type { TransitionWriter } from './transition-writer.ts';

/**
 * The owner of AwaitingApproval (PHASE_OWNERS): a record waiting for a person. The gate started the clock
 * when the record entered the phase (status.approval.requestedAt, expiresAt = requestedAt + the policy's
 * approval.timeout, 24h by default) and the record queue brings the key back at expiresAt. Then, with no
 * decision recorded, the record moves AwaitingApproval -> Expired (actor `system`). Before that, a policy
 * change re-gates it like any waiting record (`regate`, the record reconciler).
 *
 * Approvals and rejections themselves are the Slack integration's: it writes Approved (which the execution
 * owner then executes like AutoApproved) or Rejected through the same TransitionWriter.
 */

export interface ApprovalReconcilerOptions extends RecordOwnerDeps {
  /** Re-gating (and starting the clock of a record that predates it): the record reconciler. */
  regate: Reconcile;
}

export class ApprovalReconciler {
  readonly #options: ApprovalReconcilerOptions;
  readonly #now: () => Date;
  readonly #writes: WriteTracker;
  readonly #transitions: TransitionWriter;

  constructor(options: ApprovalReconcilerOptions) {
    this.#options = options;
    ({ now: this.#now, writes: this.#writes, transitions: this.#transitions } = ownerParts(options));
  }

  reconcile = async (key: string): Promise<ReconcileResult | void> => {
    const record = cachedRecord(this.#options.records, key);
    if (record === undefined) {
      this.#writes.forget(key);
      return this.#options.regate(key);
    }
    if (this.#writes.cacheIsBehind(key, record) || !this.#options.canWrite()) return;
    const status: FailureRecordStatus = record.status ?? {};
    const now = this.#now();
    const expiresAt = Date.parse(status.approval?.expiresAt ?? '');
    if (status.phase !== 'AwaitingApproval' || Number.isNaN(expiresAt) || now.getTime() < expiresAt) return this.#options.regate(key);

    const approval = status.approval!;
    const message = `no decision within the approval timeout: requested at ${approval.requestedAt ?? 'an unknown time'}, expired at ${approval.expiresAt}`;
    const generation = record.metadata?.generation;
    const at = generation === undefined ? {} : { observedGeneration: generation };
    let conditions = setCondition(status.conditions, { type: 'Approved', status: 'False', reason: Reason.Expired, message, ...at }, now);
    conditions = setCondition(conditions, deriveReady(conditions, [...PRE_APPROVAL_CONDITIONS, 'Approved'], generation), now);
    const parsed = FailureRecordSpec.safeParse(record.spec);
    try {
      await this.#transitions.write({
        key,
        record,
        path: [{ from: 'AwaitingApproval', to: 'Expired' }],
        reasons: [message],
        about: { ...(parsed.success ? { repository: parsed.data.repository } : repositoryOf(record)), ...categoryOf(record) },
        status: { ...status, phase: 'Expired', conditions, approval: { ...approval, decision: 'expired', decidedBy: 'system', decidedAt: now.toISOString(), escalatedAt: now.toISOString() } },
        event: { type: 'Warning', reason: Reason.Expired, message },
        actor: 'system',
      });
    } catch (error) {
      // The record stays AwaitingApproval (already past its deadline) until its row can be written.
      if (error instanceof StoreUnavailableError) throw new TransientError(`cannot write the expiry's audit row: ${error.message}`, { cause: error });
      throw error;
    }
    this.#writes.forget(key);
  };
}
