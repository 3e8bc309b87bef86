import type { AnalysisStatus } from '../api/failure-record.ts';
import type { PolicyAnalysis } from '../api/remediation-policy.ts';

/**
 * Which `analysis.provider` values this build can honour. A policy may already ask for `openai` (the CRD
 * accepts it, the example policy uses it), but until the model analyzer lands the rules analyzer answers for
 * it; accepting that silently would let a user believe a model read their logs. So the policy's status says
 * so (condition AnalysisProvider, False) and so does every record analysed under it.
 *
 * When the model analyzer lands, add its provider to this set: the condition turns True and the stand-in
 * note disappears; nothing else here needs to change.
 */
export const AVAILABLE_PROVIDERS: ReadonlySet<PolicyAnalysis['provider']> = new Set(['rules']);

export const PROVIDER_CONDITION = 'AnalysisProvider';
export const ProviderReason = Object.freeze({ Available: 'ProviderAvailable', NotAvailable: 'ProviderNotAvailable' });

/** The policy's AnalysisProvider condition. */
export function providerCondition(analysis: Pick<PolicyAnalysis, 'provider'>): { type: string; status: 'True' | 'False'; reason: string; message: string } {
  if (AVAILABLE_PROVIDERS.has(analysis.provider)) {
    return { type: PROVIDER_CONDITION, status: 'True', reason: ProviderReason.Available, message: `records are analysed by the ${analysis.provider} analyzer` };
  }
  return { type: PROVIDER_CONDITION, status: 'False', reason: ProviderReason.NotAvailable, message: standInSentence(analysis.provider) };
}

/**
 * The analysis as it goes on a record governed by `policy`: unchanged when the policy's provider answered,
 * else with the stand-in said first in its reasoning.
 */
export function noteStandIn(analysis: AnalysisStatus, policy: { spec: { analysis: Pick<PolicyAnalysis, 'provider'> } }): AnalysisStatus {
  const wanted = policy.spec.analysis.provider;
  if (AVAILABLE_PROVIDERS.has(wanted) || analysis.analyzer === wanted) return analysis;
  const sentence = standInSentence(wanted);
  if (analysis.reasoning.startsWith(sentence)) return analysis;
  return { ...analysis, reasoning: `${sentence} ${analysis.reasoning}`.slice(0, 8192) };
}

function standInSentence(provider: string): string {
  return `The policy asks for analysis.provider '${provider}', which this operator does not have yet; the rules analyzer stood in.`;
}
