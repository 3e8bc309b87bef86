import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CATEGORIES, EFFORTS, REMEDIATION_ACTIONS } from '../../src/analysis/taxonomy.ts';
import { AnalysisStatus, FailureRecordSpec } from '../../src/api/failure-record.ts';
import { RemediationPolicy } from '../../src/api/remediation-policy.ts';
import { gateRecord } from '../../operator/controllers/failurerecord.ts';
import { failureRecord } from '../integration/operator/fixtures.ts';

// The safety rule "a model can raise risk, never lower it below the rules": the operator's gate and every
// re-gate (after a policy change, before executing) take their floor from status.analysis.rules, so whatever
// the stored analysis says (a model's lower score included) and whatever the policy, the effective risk is
// never below what the rules said.

const risk = fc.integer({ min: 0, max: 100 });
const SEVERITY = { auto: 0, approval: 1, blocked: 2 } as const;

const policyArb = fc
  .record({ threshold: risk, ceilingGap: fc.integer({ min: 0, max: 100 }), protected: fc.boolean(), suspend: fc.boolean(), allowedActions: fc.subarray([...REMEDIATION_ACTIONS]) })
  .map((p) =>
    RemediationPolicy.parse({
      apiVersion: 'ci-remediator.dev/v1alpha1',
      kind: 'RemediationPolicy',
      metadata: { name: 'p', generation: 1 },
      spec: { repositories: ['*/*'], riskThreshold: p.threshold, riskCeiling: Math.min(100, p.threshold + p.ceilingGap), protected: p.protected, suspend: p.suspend, allowedActions: p.allowedActions },
    }),
  );

/** Stored analyses as either analyzer could write them, parsed with the schema (so they are valid status). */
const analysisArb = fc
  .record({
    analyzer: fc.constantFrom('rules' as const, 'openai' as const),
    rules: fc.option(fc.record({ category: fc.constantFrom(...CATEGORIES), riskScore: risk, confidence: fc.double({ min: 0, max: 1, noNaN: true }) }), { nil: undefined }),
    category: fc.constantFrom(...CATEGORIES),
    riskScore: risk,
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    effort: fc.constantFrom(...EFFORTS),
    components: fc.array(fc.constantFrom('src/a.ts', 'Dockerfile', '.github/workflows/ci.yml'), { maxLength: 3 }),
    summary: fc.string({ maxLength: 40 }),
    reasoning: fc.constant(''),
    proposedRemediation: fc.record({ action: fc.constantFrom(...REMEDIATION_ACTIONS), rationale: fc.constant('r') }),
    injectionSuspected: fc.boolean(),
  })
  .map((analysis) => AnalysisStatus.parse(analysis));

const spec = FailureRecordSpec.parse(failureRecord({ repository: 'acme/web' }).spec);

describe('the stored rules floor', () => {
  it('re-gating never yields an effective risk below status.analysis.rules.riskScore', () => {
    fc.assert(
      fc.property(analysisArb, policyArb, (analysis, policy) => {
        const result = gateRecord(spec, analysis, policy);
        // Without a stored rules verdict, only a rules analysis is its own floor; a model's is counted as the worst case.
        const floor = analysis.rules?.riskScore ?? (analysis.analyzer === 'rules' ? analysis.riskScore : 100);
        expect(result.riskScore).toBeGreaterThanOrEqual(floor);
        expect(result.riskScore).toBe(Math.max(analysis.riskScore, floor));
      }),
      { numRuns: 500 },
    );
  });

  it('a lower merged score than the rules gives no milder decision than the rules alone would', () => {
    fc.assert(
      fc.property(analysisArb, policyArb, risk, (analysis, policy, rulesRisk) => {
        const lowered = { ...analysis, rules: { category: analysis.category, riskScore: rulesRisk, confidence: 1 }, riskScore: Math.min(analysis.riskScore, rulesRisk) };
        const rulesOnly = { ...lowered, riskScore: rulesRisk };
        expect(SEVERITY[gateRecord(spec, lowered, policy).decision]).toBeGreaterThanOrEqual(SEVERITY[gateRecord(spec, rulesOnly, policy).decision]);
      }),
      { numRuns: 500 },
    );
  });
});
