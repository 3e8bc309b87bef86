import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CATEGORIES, REMEDIATION_ACTIONS } from '../../src/analysis/taxonomy.ts';
import type { RemediationPolicy } from '../../src/api/remediation-policy.ts';
import { gate, type GateDecision, type GateInput } from '../../src/policy/gate.ts';
import { policyArb, risk } from '../support/policy-arbitrary.ts';

const SEVERITY: Record<GateDecision, number> = { auto: 0, approval: 1, blocked: 2 };

const path = fc.constantFrom(
  'src/cart.ts',
  './lib/util.js',
  '/home/runner/work/web/web/internal/db.go:10:2',
  'D:\\a\\web\\web\\app\\x.cs(3,1)',
  'src/Dockerfile',
  '.github/workflows/ci.yml',
  'test/cart.test.ts',
  'docs/readme.md',
  '/usr/lib/node/x.js',
  'charts/web/values.yaml',
);

const analysisArb = fc.record({
  category: fc.constantFrom(...CATEGORIES),
  riskScore: risk,
  components: fc.array(path, { maxLength: 4 }),
  proposedRemediation: fc.record({ action: fc.constantFrom(...REMEDIATION_ACTIONS), rationale: fc.string({ maxLength: 20 }) }),
  injectionSuspected: fc.option(fc.boolean(), { nil: undefined }),
});

const inputArb: fc.Arbitrary<GateInput> = fc.record({
  analysis: analysisArb,
  rulesFloor: risk,
  repository: fc.constantFrom('acme/web', 'acme/api'),
  changedFiles: fc.option(fc.array(path, { maxLength: 4 }), { nil: undefined }),
  policy: policyArb,
});

function withSpec(input: GateInput, spec: Partial<RemediationPolicy['spec']>): GateInput {
  return { ...input, policy: { ...input.policy, spec: { ...input.policy.spec, ...spec } } };
}

describe('gate properties', () => {
  it('raising the threshold never makes a decision more severe (auto stays auto)', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 0, max: 100 }), (input, raise) => {
        const before = gate(input);
        const threshold = Math.min(100, input.policy.spec.riskThreshold + raise);
        // The ceiling moves only as far as the schema requires (ceiling >= threshold).
        const after = gate(withSpec(input, { riskThreshold: threshold, riskCeiling: Math.max(threshold, input.policy.spec.riskCeiling) }));
        if (before.decision === 'auto') expect(after.decision).toBe('auto');
        if (input.policy.spec.riskCeiling >= threshold) expect(SEVERITY[after.decision]).toBeLessThanOrEqual(SEVERITY[before.decision]);
      }),
    );
  });

  it('a protected policy is never auto', () => {
    fc.assert(fc.property(inputArb, (input) => expect(gate(withSpec(input, { protected: true })).decision).not.toBe('auto')));
  });

  it('a failure that touches application code is never auto', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = gate(input);
        if (result.touchesApplicationCode) expect(result.decision).not.toBe('auto');
      }),
    );
    fc.assert(
      fc.property(inputArb, fc.constantFrom('src/a.ts', '/home/runner/work/w/w/src/b.ts:3'), (input, file) => {
        const withApp = withSpec({ ...input, changedFiles: [...(input.changedFiles ?? []), file] }, { applicationCodePaths: ['src/**'], infrastructurePaths: [] });
        expect(gate(withApp)).toMatchObject({ touchesApplicationCode: true, decision: expect.not.stringMatching(/^auto$/) });
      }),
    );
  });

  it('risk below the rules floor is raised to it', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 0, max: 100 }), (input, below) => {
        const floor = input.rulesFloor;
        const result = gate(input);
        expect(result.riskScore).toBeGreaterThanOrEqual(floor);
        expect(result.riskScore).toBeGreaterThanOrEqual(input.analysis.riskScore);
        const under = { ...input, analysis: { ...input.analysis, riskScore: Math.min(below, floor) } };
        const at = { ...input, analysis: { ...input.analysis, riskScore: floor } };
        expect(gate(under)).toEqual(gate(at));
      }),
    );
  });

  it('is deterministic and does not change its input', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const snapshot = structuredClone(input);
        const first = gate(input);
        expect(gate(input)).toEqual(first);
        expect(input).toEqual(snapshot);
      }),
    );
  });

  it('an action outside allowedActions is never auto', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        if (!input.policy.spec.allowedActions.includes(input.analysis.proposedRemediation.action)) {
          expect(gate(input).decision).toBe('blocked');
        }
      }),
    );
  });

  it('an action outside the catalog is blocked, whatever the policy says', () => {
    fc.assert(
      fc.property(inputArb, fc.string({ minLength: 1, maxLength: 20 }), (input, action) => {
        fc.pre(!(REMEDIATION_ACTIONS as readonly string[]).includes(action));
        const rogue = { ...input, analysis: { ...input.analysis, proposedRemediation: { action: action as 'notify-only', rationale: '' } } };
        expect(gate(rogue).decision).toBe('blocked');
      }),
    );
  });

  it('suspected prompt injection is never auto', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(gate({ ...input, analysis: { ...input.analysis, injectionSuspected: true } }).decision).not.toBe('auto');
      }),
    );
  });

  it('a suspended policy or a risk at the ceiling always blocks', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(gate(withSpec(input, { suspend: true })).decision).toBe('blocked');
        const atCeiling = { ...input, rulesFloor: input.policy.spec.riskCeiling };
        expect(gate(atCeiling).decision).toBe('blocked');
      }),
    );
  });

  it('explains every decision, and auto only when risk is below the threshold', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = gate(input);
        expect(result.reasons.length).toBeGreaterThan(0);
        if (result.decision === 'auto') expect(result.riskScore).toBeLessThan(result.threshold);
      }),
    );
  });
});
