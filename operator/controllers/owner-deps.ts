import type { Notifier } from '../../src/notify/notifier.ts';
import type { Store } from '../../src/store/index.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { KubeClients } from '../runtime/kube.ts';
import type { Logger } from '../runtime/logger.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import { WriteTracker } from '../runtime/write-tracker.ts';
import type { RecordSource } from './record-object.ts';
import { TransitionWriter } from './transition-writer.ts';

/** What every owner of FailureRecord phases (record, approval, execution) is given by the manager. */
export interface RecordOwnerDeps {
  records: RecordSource;
  clients: KubeClients;
  store: () => Promise<Store>;
  events: EventRecorder;
  metrics: OperatorMetrics;
  notifier: Notifier;
  /** False once the lease may no longer be ours: then nothing is written (and nothing is called). */
  canWrite: () => boolean;
  log: Logger;
  now?: () => Date;
}

/**
 * An owner's own write tracker (our writes and the resourceVersion of the last one per key: a reconcile on a
 * cache behind it is skipped) and its transition writer over it.
 */
export function ownerParts(deps: RecordOwnerDeps): { now: () => Date; writes: WriteTracker; transitions: TransitionWriter } {
  const now = deps.now ?? (() => new Date());
  const writes = new WriteTracker(deps.canWrite);
  return { now, writes, transitions: new TransitionWriter({ ...deps, writes, now }) };
}
