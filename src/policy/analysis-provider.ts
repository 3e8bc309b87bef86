import type { AnalysisStatus } from '../api/failure-record.ts';
import type { PolicyAnalysis } from '../api/remediation-policy.ts';

/**
 * Which `analysis.provider` values this build can honour: the rules analyzer always, the model analyzer
 * (`openai`, src/analysis/model/) when the operator has an API key. Whether it has one is known only at start,
 * so the functions below take the providers this operator has configured (`configuredProviders`): without a
 * key a policy asking for `openai` gets AnalysisProvider=False/ProviderNotAvailable and its records say the
 * rules analyzer stood in, so nobody believes a model read their logs when none did.
 */
export const AVAILABLE_PROVIDERS: ReadonlySet<PolicyAnalysis['provider']> = new Set(['rules', 'openai']);

/** The providers an operator answers for: the rules always, `openai` with a model analyzer configured. */
export function configuredProviders(model: boolean): ReadonlySet<PolicyAnalysis['provider']> {
  return new Set([...AVAILABLE_PROVIDERS].filter((provider) => provider === 'rules' || model));
}

const RULES_ONLY = configuredProviders(false);

export const PROVIDER_CONDITION = 'AnalysisProvider';
export const ProviderReason = Object.freeze({ Available: 'ProviderAvailable', NotAvailable: 'ProviderNotAvailable' });

/** The policy's AnalysisProvider condition. */
export function providerCondition(
  analysis: Pick<PolicyAnalysis, 'provider'>,
  configured: ReadonlySet<PolicyAnalysis['provider']> = RULES_ONLY,
): { type: string; status: 'True' | 'False'; reason: string; message: string } {
  if (configured.has(analysis.provider)) {
    return { type: PROVIDER_CONDITION, status: 'True', reason: ProviderReason.Available, message: `records are analysed by the ${analysis.provider} analyzer` };
  }
  return { type: PROVIDER_CONDITION, status: 'False', reason: ProviderReason.NotAvailable, message: standInSentence(analysis.provider) };
}

/**
 * The analysis as it goes on a record governed by `policy`: unchanged when the policy's provider answered,
 * else with the stand-in said first in its reasoning.
 */
export function noteStandIn(
  analysis: AnalysisStatus,
  policy: { spec: { analysis: Pick<PolicyAnalysis, 'provider'> } },
  configured: ReadonlySet<PolicyAnalysis['provider']> = RULES_ONLY,
): AnalysisStatus {
  const wanted = policy.spec.analysis.provider;
  if (configured.has(wanted) || analysis.analyzer === wanted) return analysis;
  const sentence = standInSentence(wanted);
  if (analysis.reasoning.startsWith(sentence)) return analysis;
  return { ...analysis, reasoning: `${sentence} ${analysis.reasoning}`.slice(0, 8192) };
}

function standInSentence(provider: string): string {
  if (provider === 'openai') {
    return "The policy asks for analysis.provider 'openai', but this operator has no OpenAI API key (OPENAI_API_KEY or OPENAI_API_KEY_FILE); the rules analyzer stood in.";
  }
  return `The policy asks for analysis.provider '${provider}', which this operator does not have; the rules analyzer stood in.`;
}
