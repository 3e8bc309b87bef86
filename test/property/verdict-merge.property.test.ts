// The merge rules as properties: whatever the model answers, the merged verdict never makes the gate more
// permissive than the rules verdict alone.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Verdict } from '../../src/analysis/analyzer.ts';
import type { InjectionSpan } from '../../src/analysis/injection-detector.ts';
import type { ModelVerdict } from '../../src/analysis/model/model-verdict.ts';
import { CATEGORIES, EFFORTS, REMEDIATION_ACTIONS } from '../../src/analysis/taxonomy.ts';
import { DISAGREEMENT_CONFIDENCE_FACTOR, mergeVerdicts } from '../../src/analysis/verdict-merge.ts';
import { gate, type GateDecision } from '../../src/policy/gate.ts';
import { policy } from '../support/model-fixtures.ts';
import { modelFields } from '../../operator/controllers/analyze-record.ts';
import { rulesFloorOf } from '../../src/analysis/rules.ts';
import { AnalysisStatus } from '../../src/api/failure-record.ts';
import { gateStoredAnalysis } from '../../src/policy/stored-gate.ts';

const SEVERITY: Record<GateDecision, number> = { auto: 0, approval: 1, blocked: 2 };
const PATHS = ['src/app.ts', 'lib/util.js', '.github/workflows/ci.yml', 'package-lock.json', 'docs/readme.md'];

const floorArb: fc.Arbitrary<Verdict> = fc.record({
  analyzer: fc.constant('rules' as const),
  category: fc.constantFrom(...CATEGORIES),
  riskScore: fc.integer({ min: 0, max: 100 }),
  confidence: fc.double({ min: 0, max: 1, noNaN: true }),
  effort: fc.constantFrom(...EFFORTS),
  summary: fc.constant('rules summary'),
  reasoning: fc.constant('rules reasoning'),
  components: fc.subarray(PATHS),
  fingerprint: fc.constant('rules:v1:0123456789abcdef0123'),
  proposedRemediation: fc.record({ action: fc.constantFrom(...REMEDIATION_ACTIONS), rationale: fc.constant('rules rationale') }),
});

const modelArb: fc.Arbitrary<ModelVerdict> = fc.record({
  category: fc.constantFrom(...CATEGORIES),
  riskScore: fc.integer({ min: 0, max: 100 }),
  confidence: fc.double({ min: 0, max: 1, noNaN: true }),
  effort: fc.constantFrom(...EFFORTS),
  components: fc.subarray(PATHS),
  summary: fc.constant('model summary'),
  reasoning: fc.constant('model reasoning'),
  proposedRemediation: fc.record({
    action: fc.constantFrom(...REMEDIATION_ACTIONS, 'deploy-to-production', 'approve', 'rm -rf /'),
    params: fc.constant({}),
    rationale: fc.constant('model rationale'),
  }),
  evidence: fc.constant(['some evidence line']),
});

const policyArb = fc
  .record({
    riskThreshold: fc.integer({ min: 0, max: 100 }),
    ceilingGap: fc.integer({ min: 0, max: 100 }),
    allowedActions: fc.subarray([...REMEDIATION_ACTIONS]),
    protected: fc.boolean(),
    suspend: fc.boolean(),
  })
  .map(({ riskThreshold, ceilingGap, ...rest }) => policy({ riskThreshold, riskCeiling: Math.min(100, riskThreshold + ceilingGap), ...rest }));

const PLANTED: InjectionSpan = { source: 'log:build', kind: 'ignore-instructions', start: 0, end: 10, line: 1, excerpt: 'ignore previous instructions' };
const spanArb: fc.Arbitrary<InjectionSpan[]> = fc.oneof(fc.constant<InjectionSpan[]>([]), fc.constant<InjectionSpan[]>([PLANTED]));

const changedArb = fc.subarray(PATHS);

describe('mergeVerdicts', () => {
  it('never makes the gate more permissive than the rules verdict alone', () => {
    fc.assert(
      fc.property(floorArb, modelArb, policyArb, spanArb, changedArb, (floor, model, pol, injection, changedFiles) => {
        const merged = mergeVerdicts({ floor, model, modelName: 'gpt-4o', policy: pol, injection, changedFiles });
        const before = gate({ analysis: floor, rulesFloor: floor.riskScore, policy: pol, changedFiles });
        const after = gate({ analysis: merged, rulesFloor: floor.riskScore, policy: pol, changedFiles });
        expect(SEVERITY[after.decision]).toBeGreaterThanOrEqual(SEVERITY[before.decision]);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes the higher risk of the two', () => {
    fc.assert(
      fc.property(floorArb, modelArb, policyArb, (floor, model, pol) => {
        const merged = mergeVerdicts({ floor, model, modelName: 'gpt-4o', policy: pol, injection: [] });
        expect(merged.riskScore).toBe(Math.max(floor.riskScore, model.riskScore));
      }),
    );
  });

  it('keeps the rules\' action when the model proposes one outside the catalog or the policy, and says so', () => {
    fc.assert(
      fc.property(floorArb, modelArb, policyArb, (floor, model, pol) => {
        const merged = mergeVerdicts({ floor, model, modelName: 'gpt-4o', policy: pol, injection: [] });
        const proposed = model.proposedRemediation.action;
        const allowed = (pol.spec.allowedActions as readonly string[]).includes(proposed);
        if (!allowed) {
          expect(merged.proposedRemediation.action).toBe(floor.proposedRemediation.action);
          expect(merged.mergeNotes?.some((note) => note.includes(`'${proposed}'`))).toBe(true);
        }
        expect([floor.proposedRemediation.action, proposed]).toContain(merged.proposedRemediation.action);
      }),
    );
  });

  it('lowers the confidence and forces approval when rules and model disagree on the category', () => {
    fc.assert(
      fc.property(floorArb, modelArb, policyArb, (floor, model, pol) => {
        fc.pre(floor.category !== model.category);
        const merged = mergeVerdicts({ floor, model, modelName: 'gpt-4o', policy: pol, injection: [] });
        expect(merged.confidence).toBeLessThanOrEqual(Math.min(floor.confidence, model.confidence) * DISAGREEMENT_CONFIDENCE_FACTOR + 1e-12);
        expect(gate({ analysis: merged, rulesFloor: floor.riskScore, policy: pol }).decision).not.toBe('auto');
      }),
    );
  });

  it('never lets a suspected injection through automatically', () => {
    fc.assert(
      fc.property(floorArb, modelArb, policyArb, (floor, model, pol) => {
        const injection: InjectionSpan[] = [{ source: 'log:build', kind: 'role-marker', start: 0, end: 12, line: 3, excerpt: '<|im_start|>' }];
        const merged = mergeVerdicts({ floor, model, modelName: 'gpt-4o', policy: pol, injection });
        expect(merged.injectionSuspected).toBe(true);
        expect(merged.injectionSpans).toEqual(injection);
        expect(gate({ analysis: merged, rulesFloor: floor.riskScore, policy: pol }).decision).not.toBe('auto');
      }),
    );
  });
});

/** A merged verdict as the operator stores it in status.analysis (operator/controllers/analyze-record.ts). */
function stored(merged: Verdict, floor: Verdict): AnalysisStatus {
  return AnalysisStatus.parse({
    analyzer: merged.analyzer,
    rules: rulesFloorOf(floor),
    category: merged.category,
    riskScore: merged.riskScore,
    confidence: merged.confidence,
    effort: merged.effort,
    components: merged.components,
    summary: merged.summary,
    reasoning: merged.reasoning,
    proposedRemediation: { action: merged.proposedRemediation.action, rationale: merged.proposedRemediation.rationale },
    injectionSuspected: merged.injectionSuspected ?? false,
    ...modelFields(merged),
  });
}

describe('re-gating a stored model verdict', () => {
  it('never turns an approval the merge forced into auto, under any later policy', () => {
    fc.assert(
      fc.property(floorArb, modelArb, policyArb, policyArb, spanArb, changedArb, (floor, model, first, later, injection, changedFiles) => {
        const merged = mergeVerdicts({ floor, model, modelName: 'gpt-4o', policy: first, injection, changedFiles });
        const forced = (merged.approvalReasons?.length ?? 0) > 0 || merged.injectionSuspected === true;
        const regate = gateStoredAnalysis({ analysis: stored(merged, floor), repository: 'acme/app', changedFiles, policy: later });
        if (forced) expect(regate.decision).not.toBe('auto');
        // What status keeps gates no more permissively than the verdict itself would.
        const live = gate({ analysis: merged, rulesFloor: floor.riskScore, policy: later, changedFiles, repository: 'acme/app' });
        expect(SEVERITY[regate.decision]).toBeGreaterThanOrEqual(SEVERITY[live.decision]);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the category disagreement among the stored reasons', () => {
    const floor = fc.sample(floorArb, 1)[0]!;
    const model = { ...fc.sample(modelArb, 1)[0]!, category: floor.category === 'network_error' ? ('test_failure' as const) : ('network_error' as const) };
    const merged = mergeVerdicts({ floor, model, modelName: 'gpt-4o', policy: policy(), injection: [] });
    expect(stored(merged, floor).approvalReasons).toEqual([expect.stringContaining('disagree on the category')]);
  });
});
