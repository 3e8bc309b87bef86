import { describe, expect, it } from '@jest/globals';
import { transitionPath } from '../../../src/api/lifecycle.ts';
import { REMEDIATION_ACTIONS } from '../../../src/analysis/taxonomy.ts';
import { CATALOG } from '../../../src/remediation/catalog.ts';
import { ABORT_ANNOTATION, abortReason, nextStep, policyRefusal } from '../../../src/remediation/plan.ts';

const intent = { action: 'rerun-failed-jobs' as const, intentRecordedAt: '2026-03-10T12:00:00Z' };

describe('nextStep', () => {
  it('starts a mutating remediation only with GitHub credentials, and waits without them', () => {
    expect(nextStep({ phase: 'AutoApproved', action: 'rerun-failed-jobs', execution: undefined, githubConfigured: true })).toEqual({ step: 'start' });
    expect(nextStep({ phase: 'AutoApproved', action: 'rerun-failed-jobs', execution: undefined, githubConfigured: false })).toEqual({ step: 'await-credentials' });
  });

  it('runs notify-only without GitHub', () => {
    expect(nextStep({ phase: 'AutoApproved', action: 'notify-only', execution: undefined, githubConfigured: false })).toEqual({ step: 'notify' });
  });

  it('never calls again from Executing: it recovers (looks for the effect first)', () => {
    expect(nextStep({ phase: 'Executing', action: 'rerun-failed-jobs', execution: intent, githubConfigured: true })).toEqual({ step: 'recover' });
  });

  it('verifies the new attempt', () => {
    expect(nextStep({ phase: 'Verifying', action: 'rerun-failed-jobs', execution: { ...intent, newRunAttempt: 2 }, githubConfigured: true })).toEqual({ step: 'verify', attempt: 2 });
    expect(nextStep({ phase: 'Verifying', action: 'rerun-failed-jobs', execution: intent, githubConfigured: true })).toEqual({ step: 'none' });
  });

  it('does nothing in phases it does not own', () => {
    for (const phase of ['Pending', 'Analyzed', 'AwaitingApproval', 'Blocked', 'Succeeded', 'Failed', 'RolledBack'] as const) {
      expect(nextStep({ phase, action: 'rerun-failed-jobs', execution: intent, githubConfigured: true })).toEqual({ step: 'none' });
    }
  });

  it('takes only paths the lifecycle allows', () => {
    expect(() => transitionPath('AutoApproved', ['Executing', 'Verifying', 'Succeeded'])).not.toThrow();
    expect(() => transitionPath('AutoApproved', ['Executing', 'Failed'])).not.toThrow();
    expect(() => transitionPath('Verifying', ['Failed', 'RolledBack'])).not.toThrow();
    expect(() => transitionPath('Executing', ['Failed', 'RolledBack'])).not.toThrow();
  });
});

describe('abortReason', () => {
  it('aborts on the annotation, quoting it', () => {
    expect(abortReason({ annotations: { [ABORT_ANNOTATION]: 'wrong fix' } })).toBe(`aborted by the ${ABORT_ANNOTATION} annotation: wrong fix`);
    expect(abortReason({ annotations: { [ABORT_ANNOTATION]: ' ' } })).toBeUndefined();
  });

  it('aborts when the policy now blocks, not when it merely asks for an approval', () => {
    expect(abortReason({ gate: { decision: 'blocked', policy: 'p', reasons: ["policy 'p' is suspended"] } })).toBe("policy 'p' now blocks this remediation: policy 'p' is suspended");
    expect(abortReason({ gate: { decision: 'approval', policy: 'p', reasons: ['protected'] } })).toBeUndefined();
    expect(abortReason({ gate: { decision: 'auto', policy: 'p', reasons: [] } })).toBeUndefined();
  });
});

describe('policyRefusal', () => {
  it('says nothing under an auto decision, and why otherwise', () => {
    expect(policyRefusal({ decision: 'auto', policy: 'p', reasons: [] })).toBeUndefined();
    expect(policyRefusal({ decision: 'approval', policy: 'p', reasons: ['repository is protected'] })).toBe(
      "policy 'p' no longer lets this remediation run automatically (it now requires an approval for it): repository is protected",
    );
  });

  it('lets an approved record run under a policy that asks for approval, but not under one that blocks', () => {
    expect(policyRefusal({ decision: 'approval', policy: 'p', reasons: ['repository is protected'] }, true)).toBeUndefined();
    expect(policyRefusal({ decision: 'blocked', policy: 'p', reasons: ['suspended'] }, true)).toContain('(it now blocks it): suspended');
  });
});

describe('catalog', () => {
  it('describes every action of the taxonomy, and only notify-only changes nothing', () => {
    expect(Object.keys(CATALOG).sort()).toEqual([...REMEDIATION_ACTIONS].sort());
    expect(REMEDIATION_ACTIONS.filter((action) => !CATALOG[action].mutates)).toEqual(['notify-only']);
    expect(REMEDIATION_ACTIONS.filter((action) => CATALOG[action].requiresUnchangedBranch)).toEqual(['rerun-workflow']);
  });
});
