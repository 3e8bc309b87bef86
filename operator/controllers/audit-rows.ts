import type { AuditEntryInput } from '../../src/store/index.ts';
import { clipOutput } from '../../src/remediation/plan.ts';
import type { RecordObject } from './record-object.ts';

/**
 * The audit rows the operator writes about a FailureRecord, by either of its controllers (and on deletion).
 * Every key is idempotent (`${uid}/${phase}`, `${uid}/github/${call}`), so a retried reconcile writes each
 * row once.
 */

export const ACTOR = 'ci-remediator-operator';

/** The audit row of one transition of `record`. Reasons quote GitHub and the analysis, so they are clipped to what a row keeps. */
export function transitionAuditRow(
  record: RecordObject,
  step: { from: string; to: string },
  reason: string,
  about: Pick<AuditEntryInput, 'repository' | 'category'>,
  /** Who caused the step when it was not the operator (a Slack approver): the row names them. */
  by?: Pick<AuditEntryInput, 'actor' | 'actorType'>,
): AuditEntryInput {
  const uid = record.metadata?.uid ?? '';
  return {
    idempotencyKey: `${uid}/${step.to}`,
    actor: by?.actor ?? ACTOR,
    actorType: by?.actorType ?? 'system',
    action: 'transition',
    outcome: step.to,
    record: { namespace: record.metadata?.namespace, name: record.metadata?.name, uid },
    ...about,
    details: { from: step.from, to: step.to, reason: clipOutput(reason, 2048) },
  };
}

/** The audit row of a GitHub call that changed something (or was refused, or whose effect was adopted). */
export function githubAuditRow(
  record: RecordObject,
  repository: string,
  call: string,
  outcome: 'accepted' | 'adopted' | 'refused',
  details: Record<string, unknown>,
): AuditEntryInput {
  const uid = record.metadata?.uid ?? '';
  return {
    idempotencyKey: `${uid}/github/${call}`,
    actor: ACTOR,
    actorType: 'system',
    action: 'github-call',
    outcome,
    record: { namespace: record.metadata?.namespace, name: record.metadata?.name, uid },
    repository,
    ...categoryOf(record),
    details: { call, ...details },
  };
}

export function categoryOf(record: RecordObject): { category?: string } {
  const category = record.status?.analysis?.category;
  return category === undefined ? {} : { category };
}

export function repositoryOf(record: RecordObject): { repository?: string } {
  const repository = (record.spec as { repository?: unknown } | undefined)?.repository;
  return typeof repository === 'string' ? { repository } : {};
}
