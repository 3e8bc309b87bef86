import type { Condition } from './common.ts';
import type { FailurePhase, GateStatus } from './failure-record.ts';

/**
 * The FailureRecord lifecycle as pure functions: which phase may follow which, what the gate's decision
 * means as a phase, and how conditions (metav1.Condition semantics) are set and summarized into Ready.
 * The operator does the I/O around these; nothing here reads a clock (callers pass `now`).
 */

/** A record without a status is Pending: the API server stores what the producer wrote, and nobody has looked yet. */
export const INITIAL_PHASE: FailurePhase = 'Pending';

/**
 * Every allowed move (DESIGN.md's flow). Keys absent from the map, and phases mapping to an empty list, are
 * terminal. The operator refuses anything else, so a bug cannot, say, move a Blocked record to Executing.
 */
export const TRANSITIONS: Readonly<Record<FailurePhase, readonly FailurePhase[]>> = Object.freeze({
  Pending: ['Analyzing'],
  Analyzing: ['Analyzed'],
  Analyzed: ['AutoApproved', 'AwaitingApproval', 'Blocked'],
  // A policy change re-gates a waiting record; approval and expiry are the other exits.
  AwaitingApproval: ['AutoApproved', 'Blocked', 'Approved', 'Rejected', 'Expired'],
  AutoApproved: ['Executing'],
  Approved: ['Executing'],
  Executing: ['Verifying', 'Failed'],
  Verifying: ['Succeeded', 'Failed'],
  Failed: ['RolledBack'],
  Rejected: [],
  Expired: [],
  Blocked: [],
  Succeeded: [],
  RolledBack: [],
});

export function canTransition(from: FailurePhase, to: FailurePhase): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Thrown for a move the lifecycle does not allow: a programming error, never a user's. */
export class InvalidTransitionError extends Error {
  readonly code = 'INVALID_TRANSITION';
  readonly from: FailurePhase;
  readonly to: FailurePhase;

  constructor(from: FailurePhase, to: FailurePhase) {
    super(`FailureRecord cannot move from ${from} to ${to}`);
    this.name = 'InvalidTransitionError';
    this.from = from;
    this.to = to;
  }
}

export interface Transition {
  from: FailurePhase;
  to: FailurePhase;
}

/**
 * The chain of single steps from `from` through `via` (in order). Each step is checked, so the audit trail
 * the operator writes from it (one row per step) is always a valid path through the lifecycle.
 */
export function transitionPath(from: FailurePhase, via: readonly FailurePhase[]): Transition[] {
  const steps: Transition[] = [];
  let current = from;
  for (const to of via) {
    if (to === current) continue;
    if (!canTransition(current, to)) throw new InvalidTransitionError(current, to);
    steps.push({ from: current, to });
    current = to;
  }
  return steps;
}

/** Where the gate's decision puts a record. */
export type GatePhase = Extract<FailurePhase, 'AutoApproved' | 'AwaitingApproval' | 'Blocked'>;

export function phaseForDecision(decision: GateStatus['decision']): GatePhase {
  if (decision === 'auto') return 'AutoApproved';
  if (decision === 'blocked') return 'Blocked';
  return 'AwaitingApproval';
}

/**
 * Which part of the operator acts on a record in each phase: the one table both FailureRecord controllers
 * route by (ADR 0005: two work queues per record).
 *  - `record`: analysis and the gate (the record queue);
 *  - `approval`: a record waiting for a person; its owner expires it at status.approval.expiresAt and
 *    re-gates it on a policy change (the record queue: it never waits on GitHub);
 *  - `execution`: the remediation and its verification (the execution queue);
 *  - `none`: terminal, nothing left to do (deletion is the record queue's in every phase).
 */
export type PhaseOwner = 'record' | 'approval' | 'execution' | 'none';

export const PHASE_OWNERS: Readonly<Record<FailurePhase, PhaseOwner>> = Object.freeze({
  Pending: 'record',
  Analyzing: 'record',
  Analyzed: 'record',
  AwaitingApproval: 'approval',
  // A person's approval starts the remediation exactly as the gate's does.
  AutoApproved: 'execution',
  Approved: 'execution',
  Executing: 'execution',
  Verifying: 'execution',
  Failed: 'none',
  RolledBack: 'none',
  Rejected: 'none',
  Expired: 'none',
  Blocked: 'none',
  Succeeded: 'none',
});

/** The owner of a record's phase (a record without a status is Pending). */
export function ownerOf(phase: FailurePhase | undefined): PhaseOwner {
  return PHASE_OWNERS[phase ?? INITIAL_PHASE];
}

/** Which of the two work queues serves an owner: everything but execution shares the record queue. */
export function queueOf(owner: PhaseOwner): 'record' | 'execution' {
  return owner === 'execution' ? 'execution' : 'record';
}

/** Phases an owner acts on, from the table. */
export function phasesOwnedBy(...owners: PhaseOwner[]): ReadonlySet<FailurePhase> {
  return new Set((Object.keys(PHASE_OWNERS) as FailurePhase[]).filter((phase) => owners.includes(PHASE_OWNERS[phase])));
}

/** Phases a policy change re-gates: analyzed and not yet acted upon or decided by a person. */
export const REGATEABLE_PHASES: ReadonlySet<FailurePhase> = new Set(['Analyzed', 'AwaitingApproval']);

/** Phases this operator still has work for before the gate. */
export const PRE_GATE_PHASES: ReadonlySet<FailurePhase> = new Set(['Pending', 'Analyzing']);

/** CamelCase reasons, as constants so a typo is a compile error rather than a silently new reason. */
export const Reason = Object.freeze({
  Analyzing: 'Analyzing',
  Analyzed: 'Analyzed',
  AnalysisFailed: 'AnalysisFailed',
  AutoApproved: 'AutoApproved',
  AwaitingApproval: 'AwaitingApproval',
  Blocked: 'Blocked',
  NoMatchingPolicy: 'NoMatchingPolicy',
  NotGated: 'NotGated',
  AuditUnavailable: 'AuditUnavailable',
  Regated: 'Regated',
  Expired: 'Expired',
  Progressing: 'Progressing',
  Valid: 'Valid',
  InvalidSpec: 'InvalidSpec',
});

export interface ConditionInput {
  type: string;
  status: Condition['status'];
  reason: string;
  message: string;
  observedGeneration?: number;
}

/**
 * Sets one condition the way apimachinery's meta.SetStatusCondition does: lastTransitionTime moves only
 * when the status changes, so "since when has this been False" stays answerable. Returns a new list;
 * other types keep their place.
 */
export function setCondition(conditions: readonly Condition[] | undefined, next: ConditionInput, now: Date): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((condition) => condition.type === next.type);
  const existing = index >= 0 ? list[index] : undefined;
  const condition: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    lastTransitionTime: existing !== undefined && existing.status === next.status ? existing.lastTransitionTime : now.toISOString(),
    ...(next.observedGeneration !== undefined && { observedGeneration: next.observedGeneration }),
  };
  if (index >= 0) list[index] = condition;
  else list.push(condition);
  return list;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

/** True when the two lists say the same thing (ignoring order), so an unchanged status is not written again. */
export function sameConditions(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  if (left.length !== right.length) return false;
  return left.every((condition) => {
    const other = findCondition(right, condition.type);
    return (
      other !== undefined &&
      other.status === condition.status &&
      other.reason === condition.reason &&
      other.message === condition.message &&
      other.lastTransitionTime === condition.lastTransitionTime &&
      other.observedGeneration === condition.observedGeneration
    );
  });
}

/**
 * Ready summarizes the owned conditions (Flux's "Ready from the others"): a blocking problem (an owned
 * condition False, or the explicit `blocker` such as AuditUnavailable) makes it False with that reason; all
 * owned conditions True makes it True with the reason of the last one (the furthest step reached); anything
 * else (a step not yet done) is Unknown, reason Progressing.
 */
export function deriveReady(
  conditions: readonly Condition[] | undefined,
  owned: readonly string[],
  generation: number | undefined,
  blocker?: { reason: string; message: string },
): ConditionInput {
  const base = generation === undefined ? {} : { observedGeneration: generation };
  if (blocker !== undefined) return { type: 'Ready', status: 'False', reason: blocker.reason, message: blocker.message, ...base };
  const present = owned.map((type) => findCondition(conditions, type));
  const failed = present.find((condition) => condition?.status === 'False');
  if (failed !== undefined) return { type: 'Ready', status: 'False', reason: failed.reason, message: failed.message, ...base };
  if (present.every((condition) => condition?.status === 'True')) {
    const last = present[present.length - 1]!;
    return { type: 'Ready', status: 'True', reason: last.reason, message: last.message, ...base };
  }
  const pending = owned.filter((_, i) => present[i]?.status !== 'True');
  return { type: 'Ready', status: 'Unknown', reason: Reason.Progressing, message: `waiting for ${pending.join(', ')}`, ...base };
}

/** The owned FailureRecord conditions before the gate, in order; Ready is derived from them. */
export const PRE_APPROVAL_CONDITIONS = ['Analyzed', 'Gated'] as const;
