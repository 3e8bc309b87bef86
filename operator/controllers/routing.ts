import { ownerOf, queueOf } from '../../src/api/lifecycle.ts';
import type { Reconcile } from '../runtime/controller.ts';
import type { ExecutionReconciler } from './execution.ts';
import { cachedRecord, type RecordSource } from './record-object.ts';

/**
 * FailureRecords have two work queues, each with its own workers, fed by the same informer (why: docs/adr,
 * "two work queues per record"). Which queue, and which reconciler on it, acts on a record is the phase-owner
 * table's answer (PHASE_OWNERS in src/api/lifecycle.ts), read here and nowhere else:
 *  - the record queue: `record` (analysis, gate), `approval` (expiry, re-gate) and terminal phases (finalizer);
 *  - the execution queue: `execution` (AutoApproved, Approved, Executing, Verifying).
 * A key is never worked on by both queues at once except across a phase boundary, where the resourceVersion
 * precondition on every write decides.
 *
 * A record being deleted stays with the record queue: it first lets the execution reconciler roll back a
 * re-run still in progress, then writes the deletion's audit row and removes the finalizer.
 */
export interface RecordQueueOwners {
  record: Reconcile;
  approval: Reconcile;
}

export function recordQueueReconcile(records: RecordSource, owners: RecordQueueOwners, execution: ExecutionReconciler): Reconcile {
  return async (key) => {
    const record = cachedRecord(records, key);
    if (record?.metadata?.deletionTimestamp !== undefined) {
      await execution.finalize(key, record);
      return owners.record(key);
    }
    const owner = record === undefined ? 'record' : ownerOf(record.status?.phase);
    if (queueOf(owner) !== 'record') return undefined;
    return owner === 'approval' ? owners.approval(key) : owners.record(key);
  };
}

/** The execution queue's reconcile: records in the execution owner's phases, not being deleted. */
export function executionQueueReconcile(records: RecordSource, execution: ExecutionReconciler): Reconcile {
  return async (key) => {
    const record = cachedRecord(records, key);
    if (record === undefined || record.metadata?.deletionTimestamp !== undefined || queueOf(ownerOf(record.status?.phase)) !== 'execution') return undefined;
    return execution.reconcile(key);
  };
}
