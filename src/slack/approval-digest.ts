import { createHash, timingSafeEqual } from 'node:crypto';
import type { FailureRecord } from '../api/failure-record.ts';

/**
 * What an Approve button is bound to. A person approves *this* action with *these* parameters on *this* run
 * attempt under *this* policy generation; if any of them changes (a re-gate after a policy edit, a newer
 * analysis, a new attempt of the run, a recreated record with the same name), the record's digest changes and
 * an old button is refused as stale instead of approving something nobody saw.
 */
export interface ApprovalBinding {
  /** metadata.uid: a record deleted and recreated under the same name is another record. */
  uid: string;
  action: string;
  params: Readonly<Record<string, string>>;
  runAttempt: number;
  policyGeneration: number;
}

/** A record as the operator holds it: the API object, whose metadata has a uid (the zod ObjectMeta drops it). */
export type RecordWithUid = FailureRecord & { metadata: FailureRecord['metadata'] & { uid?: string } };

/** The binding of a record that awaits approval; undefined when it has no proposal or gate yet (nothing to approve). */
export function approvalBinding(record: RecordWithUid): ApprovalBinding | undefined {
  const proposal = record.status?.analysis?.proposedRemediation;
  const gate = record.status?.gate;
  const uid = record.metadata.uid;
  if (proposal === undefined || gate === undefined || uid === undefined) return undefined;
  return { uid, action: proposal.action, params: proposal.params ?? {}, runAttempt: record.spec.workflow.runAttempt, policyGeneration: gate.policyGeneration };
}

/** Hex SHA-256 over a canonical form: parameters sorted by key, so the same proposal always gives the same digest. */
export function approvalDigest(binding: ApprovalBinding): string {
  const params = Object.keys(binding.params)
    .sort()
    .map((key) => [key, binding.params[key]]);
  const canonical = JSON.stringify(['ci-remediator/approval/v1', binding.uid, binding.action, params, binding.runAttempt, binding.policyGeneration]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** The digest of the record as it is now, or undefined when there is nothing to approve. */
export function recordDigest(record: RecordWithUid): string | undefined {
  const binding = approvalBinding(record);
  return binding === undefined ? undefined : approvalDigest(binding);
}

export interface RecordRef {
  namespace: string;
  name: string;
}

export interface ButtonValue {
  record: RecordRef;
  digest: string;
}

const VALUE_PREFIX = 'cir1';

/**
 * The button's value: `cir1:<namespace>/<name>:<digest>`. It names the record so the handler can find it and
 * carries the digest it was posted with. Not a secret and not trusted: a forged value can at most name another
 * record, whose own checks (approver, digest, phase) still apply.
 */
export function encodeButtonValue(value: ButtonValue): string {
  return `${VALUE_PREFIX}:${value.record.namespace}/${value.record.name}:${value.digest}`;
}

export function decodeButtonValue(text: string): ButtonValue | undefined {
  const match = /^cir1:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?):([0-9a-f]{64})$/.exec(text);
  if (match === null) return undefined;
  return { record: { namespace: match[1]!, name: match[3]! }, digest: match[5]! };
}

/** Constant-time comparison of two hex digests. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
