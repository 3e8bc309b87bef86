import type { CustomObjectsApi } from '@kubernetes/client-node';
import { z } from 'zod';
import { API_GROUP, API_VERSION, GROUP_VERSION, NamespaceName } from '../api/common.ts';
import { FAILURE_RECORD_FINALIZER, FAILURE_RECORD_KIND, FailureRecordSpec, failureRecordName } from '../api/failure-record.ts';
import { statusCodeOf } from '../api/kube-errors.ts';

/**
 * What a producer sends to the operator's ingest endpoint, and the FailureRecord object either path (the
 * endpoint, or the action writing to Kubernetes itself) creates from it. One builder for both, so a record
 * reported either way has the same name and shape, and a second report of the same failure is an
 * AlreadyExists whichever path it took.
 */

export const INGEST_PATH = '/api/v1/failures';
const FAILURE_RECORD_PLURAL = 'failurerecords';

/**
 * etcd refuses objects over 1.5 MiB, so a larger body could never become a record. The spec's own bounds keep
 * real reports far below (a few KiB; the worst case is about 1.1 MB of JSON).
 */
export const MAX_INGEST_BODY_BYTES = 1.5 * 1024 * 1024;

/** `{ "namespace": "ci", "spec": { …FailureRecord spec… } }`; without a namespace the operator's default applies. */
export const IngestRequest = z.strictObject({
  namespace: NamespaceName.optional(),
  spec: FailureRecordSpec,
});
export type IngestRequest = z.infer<typeof IngestRequest>;

/** What the endpoint answers on success (201 created, 200 when the record already existed). */
export interface IngestResponse {
  name: string;
  namespace: string;
  created: boolean;
}

export interface FailureRecordObject {
  apiVersion: typeof GROUP_VERSION;
  kind: typeof FAILURE_RECORD_KIND;
  metadata: { name: string; namespace: string; finalizers: string[] };
  spec: FailureRecordSpec;
}

/**
 * The object to create: the spec under its deterministic name (repository, run id, attempt), with the
 * operator's finalizer already set, which saves the operator a write per record.
 */
export function failureRecordObject(spec: FailureRecordSpec, namespace: string): FailureRecordObject {
  return {
    apiVersion: GROUP_VERSION,
    kind: FAILURE_RECORD_KIND,
    metadata: {
      name: failureRecordName(spec.repository, spec.workflow.runId, spec.workflow.runAttempt),
      namespace,
      finalizers: [FAILURE_RECORD_FINALIZER],
    },
    spec,
  };
}

/**
 * Creates the record in `namespace`. 409 AlreadyExists means this failure was reported before (the name is
 * deterministic): that record is the answer, with `created: false`. Any other error is thrown as the client
 * threw it, for the caller to describe (`src/api/kube-errors.ts`) and decide whether to retry.
 */
export async function createFailureRecord(
  custom: Pick<CustomObjectsApi, 'createNamespacedCustomObject'>,
  spec: FailureRecordSpec,
  namespace: string,
  fieldManager: string,
): Promise<IngestResponse> {
  const object = failureRecordObject(spec, namespace);
  const { name } = object.metadata;
  try {
    await custom.createNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, plural: FAILURE_RECORD_PLURAL, namespace, body: object, fieldManager });
    return { name, namespace, created: true };
  } catch (error) {
    if (statusCodeOf(error) === 409) return { name, namespace, created: false };
    throw error;
  }
}
