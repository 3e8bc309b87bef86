import { describe, expect, it } from '@jest/globals';
import type { AnalysisStatus } from '../../../src/api/failure-record.ts';
import { noteStandIn, providerCondition } from '../../../src/policy/analysis-provider.ts';

const ANALYSIS: AnalysisStatus = {
  analyzer: 'rules',
  category: 'network_error',
  riskScore: 20,
  confidence: 0.9,
  effort: 'low',
  components: [],
  summary: 'npm: ECONNRESET',
  reasoning: 'The registry reset the connection.',
  proposedRemediation: { action: 'rerun-failed-jobs', rationale: 'transient' },
  injectionSuspected: false,
};

describe('an analysis provider this build does not have', () => {
  it('is False on the policy, and said once at the start of the reasoning of its records', () => {
    expect(providerCondition({ provider: 'openai' })).toMatchObject({ status: 'False', reason: 'ProviderNotAvailable' });
    const noted = noteStandIn(ANALYSIS, { spec: { analysis: { provider: 'openai' } } });
    expect(noted.reasoning).toBe("The policy asks for analysis.provider 'openai', which this operator does not have yet; the rules analyzer stood in. The registry reset the connection.");
    expect(noteStandIn(noted, { spec: { analysis: { provider: 'openai' } } }).reasoning).toBe(noted.reasoning);
  });

  it('leaves rules policies alone', () => {
    expect(providerCondition({ provider: 'rules' })).toMatchObject({ status: 'True', reason: 'ProviderAvailable' });
    expect(noteStandIn(ANALYSIS, { spec: { analysis: { provider: 'rules' } } })).toBe(ANALYSIS);
  });
});
