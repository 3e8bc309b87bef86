import type { KubernetesObject } from '@kubernetes/client-node';
import type { FailureRecordStatus } from '../../src/api/failure-record.ts';
import { splitKey } from '../runtime/work-queue.ts';

/** A FailureRecord as the operator's cache holds it (spec unparsed until a reconciler needs it). */
export type RecordObject = KubernetesObject & { spec?: unknown; status?: FailureRecordStatus };

export const PLURAL = 'failurerecords';

/** Read access to the record cache, by name and namespace. */
export interface RecordSource {
  get(name: string, namespace?: string): RecordObject | undefined;
}

export function cachedRecord(records: RecordSource, key: string): RecordObject | undefined {
  const { namespace, name } = splitKey(key);
  return records.get(name, namespace);
}

export function recordRef(record: RecordObject) {
  return { plural: PLURAL, namespace: record.metadata?.namespace ?? '', name: record.metadata?.name ?? '' };
}
