import { describe, expect, it } from '@jest/globals';
import type { AnalysisStatus } from '../../../src/api/failure-record.ts';
import { configuredProviders, noteStandIn, providerCondition } from '../../../src/policy/analysis-provider.ts';

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

describe('an analysis provider this operator has not configured', () => {
  it('is False on the policy (openai without an API key), and said once at the start of the reasoning of its records', () => {
    expect(providerCondition({ provider: 'openai' })).toMatchObject({ status: 'False', reason: 'ProviderNotAvailable' });
    const noted = noteStandIn(ANALYSIS, { spec: { analysis: { provider: 'openai' } } });
    expect(noted.reasoning).toBe(
      "The policy asks for analysis.provider 'openai', but this operator has no OpenAI API key (OPENAI_API_KEY or OPENAI_API_KEY_FILE); the rules analyzer stood in. The registry reset the connection.",
    );
    expect(providerCondition({ provider: 'openai' }, configuredProviders(false))).toMatchObject({ status: 'False', reason: 'ProviderNotAvailable' });
    expect(noteStandIn(noted, { spec: { analysis: { provider: 'openai' } } }).reasoning).toBe(noted.reasoning);
  });

  it('leaves rules policies alone', () => {
    expect(providerCondition({ provider: 'rules' })).toMatchObject({ status: 'True', reason: 'ProviderAvailable' });
    expect(noteStandIn(ANALYSIS, { spec: { analysis: { provider: 'rules' } } })).toBe(ANALYSIS);
  });

  it('is True for openai once the operator has a model analyzer, and a rules verdict standing in after a model failure is not called a stand-in', () => {
    const withModel = configuredProviders(true);
    expect(providerCondition({ provider: 'openai' }, withModel)).toMatchObject({ status: 'True', reason: 'ProviderAvailable', message: 'records are analysed by the openai analyzer' });
    expect(noteStandIn(ANALYSIS, { spec: { analysis: { provider: 'openai' } } }, withModel)).toBe(ANALYSIS);
  });
});
