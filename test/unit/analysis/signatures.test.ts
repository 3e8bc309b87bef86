import { describe, expect, it } from '@jest/globals';
import { analyzeWithRules, firstMatch } from '../../../src/analysis/rules-analyzer.ts';
import { CATEGORY_PROFILES, SIGNATURES, rulesCatalogIds } from '../../../src/analysis/signatures.ts';
import { CATEGORIES, EFFORTS, REMEDIATION_ACTIONS } from '../../../src/analysis/taxonomy.ts';
import { singleLine } from './helpers.ts';
import { GITHUB_ACTIONS_SIGNATURES } from '../../../src/analysis/signatures/github-actions.ts';
import { PACKAGE_SIGNATURES } from '../../../src/analysis/signatures/packages.ts';
import { BUILD_AND_LINT_SIGNATURES } from '../../../src/analysis/signatures/build-and-lint.ts';
import { TEST_SIGNATURES } from '../../../src/analysis/signatures/tests.ts';
import { DEPLOY_AND_SECURITY_SIGNATURES } from '../../../src/analysis/signatures/deploy-and-security.ts';
import { VOCABULARY_SIGNATURES } from '../../../src/analysis/signatures/vocabulary.ts';

/** The catalog files split by ecosystem, which signatures.ts assembles. */
const ECOSYSTEM_SIGNATURES = [
  ...GITHUB_ACTIONS_SIGNATURES,
  ...PACKAGE_SIGNATURES,
  ...BUILD_AND_LINT_SIGNATURES,
  ...TEST_SIGNATURES,
  ...DEPLOY_AND_SECURITY_SIGNATURES,
  ...VOCABULARY_SIGNATURES,
];

describe('signature catalog', () => {
  it('has unique ids and only taxonomy values', () => {
    const ids = rulesCatalogIds();
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of SIGNATURES) {
      expect(CATEGORIES).toContain(s.category);
      expect(EFFORTS).toContain(s.effort);
      expect(REMEDIATION_ACTIONS).toContain(s.remediation);
      expect(s.weight).toBeGreaterThan(0);
      expect(s.weight).toBeLessThanOrEqual(1);
      expect(s.exampleSource.trim()).not.toBe('');
      for (const p of s.patterns) expect(p.flags).not.toMatch(/[gy]/);
    }
  });

  it('covers every category with at least one rule, except unknown-only fallbacks', () => {
    const covered = new Set(SIGNATURES.map((s) => s.category));
    for (const c of CATEGORIES) expect(covered.has(c) || CATEGORY_PROFILES[c] !== undefined).toBe(true);
    for (const c of CATEGORIES.filter((c) => c !== 'unknown')) expect(covered).toContain(c);
  });

  it('gives every rule a near miss, and includes every ecosystem file in the catalog', () => {
    for (const s of SIGNATURES) expect([s.id, s.nearMiss.length]).not.toEqual([s.id, 0]);
    for (const s of ECOSYSTEM_SIGNATURES) expect(SIGNATURES).toContain(s);
  });

  describe.each(SIGNATURES.map((s) => [s.id, s] as const))('%s', (_id, signature) => {
    it('matches none of its near misses', () => {
      for (const line of signature.nearMiss) expect([line, firstMatch(signature, line)?.[0] ?? null]).toEqual([line, null]);
    });

    it('matches its own real example line', () => {
      expect(firstMatch(signature, signature.example)).not.toBeNull();
    });

    it('classifies its example alone to its category, decided by itself', () => {
      const analysis = analyzeWithRules({ extraction: singleLine(signature.example, 42) });
      expect(analysis.category).toBe(signature.category);
      if (signature.category !== 'unknown') {
        expect(analysis.rule).toBe(signature.id);
        expect(analysis.proposedRemediation.action).toBe(signature.remediation);
      }
    });
  });
});
