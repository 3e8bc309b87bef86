import { describe, expect, it } from '@jest/globals';
import type { Condition } from '../../../src/api/common.ts';
import { FAILURE_PHASES } from '../../../src/api/failure-record.ts';
import {
  canTransition,
  deriveReady,
  InvalidTransitionError,
  phaseForDecision,
  PRE_APPROVAL_CONDITIONS,
  REGATEABLE_PHASES,
  setCondition,
  TRANSITIONS,
  transitionPath,
} from '../../../src/api/lifecycle.ts';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:05:00Z');

describe('transitions', () => {
  it('walks a new record through analysis to each gate outcome', () => {
    for (const outcome of ['AutoApproved', 'AwaitingApproval', 'Blocked'] as const) {
      expect(transitionPath('Pending', ['Analyzing', 'Analyzed', outcome])).toEqual([
        { from: 'Pending', to: 'Analyzing' },
        { from: 'Analyzing', to: 'Analyzed' },
        { from: 'Analyzed', to: outcome },
      ]);
    }
  });

  it('re-gates a waiting record to auto or blocked, and treats staying put as no transition', () => {
    expect(transitionPath('AwaitingApproval', ['AutoApproved'])).toEqual([{ from: 'AwaitingApproval', to: 'AutoApproved' }]);
    expect(transitionPath('AwaitingApproval', ['Blocked'])).toEqual([{ from: 'AwaitingApproval', to: 'Blocked' }]);
    expect(transitionPath('AwaitingApproval', ['AwaitingApproval'])).toEqual([]);
  });

  it('refuses skipping analysis or leaving a terminal phase', () => {
    expect(() => transitionPath('Pending', ['AutoApproved'])).toThrow(InvalidTransitionError);
    expect(() => transitionPath('Blocked', ['AutoApproved'])).toThrow('FailureRecord cannot move from Blocked to AutoApproved');
    expect(canTransition('AutoApproved', 'AwaitingApproval')).toBe(false);
    expect(canTransition('Succeeded', 'Failed')).toBe(false);
  });

  it('covers every phase, and only Analyzed and AwaitingApproval are re-gated', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...FAILURE_PHASES].sort());
    expect([...REGATEABLE_PHASES].sort()).toEqual(['Analyzed', 'AwaitingApproval']);
  });

  it('maps gate decisions to phases', () => {
    expect(phaseForDecision('auto')).toBe('AutoApproved');
    expect(phaseForDecision('approval')).toBe('AwaitingApproval');
    expect(phaseForDecision('blocked')).toBe('Blocked');
  });
});

describe('setCondition', () => {
  it('keeps lastTransitionTime while the status stays, and moves it when the status changes', () => {
    let conditions = setCondition(undefined, { type: 'Analyzed', status: 'True', reason: 'Analyzed', message: 'a', observedGeneration: 1 }, t0);
    conditions = setCondition(conditions, { type: 'Analyzed', status: 'True', reason: 'Analyzed', message: 'b', observedGeneration: 2 }, t1);
    expect(conditions).toEqual([
      { type: 'Analyzed', status: 'True', reason: 'Analyzed', message: 'b', observedGeneration: 2, lastTransitionTime: t0.toISOString() },
    ]);
    conditions = setCondition(conditions, { type: 'Analyzed', status: 'False', reason: 'AnalysisFailed', message: 'c' }, t1);
    expect(conditions[0]?.lastTransitionTime).toBe(t1.toISOString());
  });

  it('leaves other types in place and does not mutate its input', () => {
    const before = setCondition(undefined, { type: 'Analyzed', status: 'True', reason: 'Analyzed', message: '' }, t0);
    const after = setCondition(before, { type: 'Gated', status: 'True', reason: 'AutoApproved', message: '' }, t1);
    expect(before).toHaveLength(1);
    expect(after.map((c) => c.type)).toEqual(['Analyzed', 'Gated']);
  });
});

describe('deriveReady', () => {
  const condition = (type: string, status: Condition['status'], reason: string): Condition => ({
    type,
    status,
    reason,
    message: `${type} ${reason}`,
    lastTransitionTime: t0.toISOString(),
  });

  it('is True with the furthest step when every owned condition is True', () => {
    const ready = deriveReady([condition('Analyzed', 'True', 'Analyzed'), condition('Gated', 'True', 'AwaitingApproval')], PRE_APPROVAL_CONDITIONS, 3);
    expect(ready).toMatchObject({ type: 'Ready', status: 'True', reason: 'AwaitingApproval', observedGeneration: 3 });
  });

  it('is False with the failing condition reason', () => {
    const ready = deriveReady([condition('Analyzed', 'False', 'AnalysisFailed')], PRE_APPROVAL_CONDITIONS, 1);
    expect(ready).toMatchObject({ status: 'False', reason: 'AnalysisFailed' });
  });

  it('is Unknown while a step is missing', () => {
    const ready = deriveReady([condition('Analyzed', 'True', 'Analyzed')], PRE_APPROVAL_CONDITIONS, 1);
    expect(ready).toMatchObject({ status: 'Unknown', reason: 'Progressing', message: 'waiting for Gated' });
  });

  it('lets an explicit blocker (the audit log is down) win over everything', () => {
    const ready = deriveReady(
      [condition('Analyzed', 'True', 'Analyzed'), condition('Gated', 'True', 'AutoApproved')],
      PRE_APPROVAL_CONDITIONS,
      1,
      { reason: 'AuditUnavailable', message: 'db down' },
    );
    expect(ready).toMatchObject({ status: 'False', reason: 'AuditUnavailable', message: 'db down' });
  });
});
