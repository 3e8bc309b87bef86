import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CATEGORIES, EFFORTS, REMEDIATION_ACTIONS } from '../../src/analysis/taxonomy.ts';
import { AnalysisStatus } from '../../src/api/failure-record.ts';
import { gateStoredAnalysis, storedRulesFloor } from '../../src/policy/stored-gate.ts';
import { policyArb, risk } from '../support/policy-arbitrary.ts';

// The safety rule "a model can raise risk, never lower it below the rules" must hold on every re-gate, from
// what status stores: whatever the stored analysis and the policy, the effective risk is at least the rules
// verdict's (status.analysis.rules.riskScore).

const storedArb = fc
  .record({
    analyzer: fc.constantFrom('rules' as const, 'openai' as const),
    riskScore: risk,
    rulesRisk: fc.option(risk, { nil: undefined }),
    category: fc.constantFrom(...CATEGORIES),
    effort: fc.constantFrom(...EFFORTS),
    action: fc.constantFrom(...REMEDIATION_ACTIONS),
    injectionSuspected: fc.boolean(),
    components: fc.array(fc.constantFrom('src/a.ts', 'docs/b.md', 'Dockerfile'), { maxLength: 3 }),
  })
  .map((a) =>
    AnalysisStatus.parse({
      analyzer: a.analyzer,
      ...(a.rulesRisk !== undefined && { rules: { category: a.category, riskScore: a.rulesRisk, confidence: 0.8 } }),
      category: a.category,
      riskScore: a.riskScore,
      confidence: 0.7,
      effort: a.effort,
      components: a.components,
      summary: 's',
      reasoning: 'r',
      proposedRemediation: { action: a.action, rationale: 'why' },
      injectionSuspected: a.injectionSuspected,
    }),
  );

describe('re-gating a stored analysis', () => {
  it('never yields a lower effective risk than the stored rules floor', () => {
    fc.assert(
      fc.property(storedArb, policyArb, (analysis, policy) => {
        const result = gateStoredAnalysis({ analysis, repository: 'acme/web', policy });
        expect(result.riskScore).toBeGreaterThanOrEqual(storedRulesFloor(analysis));
        if (analysis.rules !== undefined) expect(result.riskScore).toBeGreaterThanOrEqual(analysis.rules.riskScore);
        expect(result.riskScore).toBeGreaterThanOrEqual(analysis.riskScore);
      }),
      { numRuns: 500 },
    );
  });

  it('takes the floor from status.analysis.rules, not from the merged verdict', () => {
    const base = fc.sample(storedArb, 1)[0]!;
    const model = { ...base, analyzer: 'openai' as const, riskScore: 10, rules: { category: base.category, riskScore: 70, confidence: 0.9 } };
    expect(storedRulesFloor(model)).toBe(70);
    expect(storedRulesFloor({ ...model, rules: undefined, analyzer: 'rules' })).toBe(10);
    // A model's verdict stored without its floor is treated as the worst case, never as safe.
    expect(storedRulesFloor({ ...model, rules: undefined })).toBe(100);
  });
});
