// Failures, floors and verdicts for the model-analyzer suites: a rules floor computed by the real rules
// analyzer on a real-looking log, and model verdicts shaped as the endpoint would send them.
import type { JobEvidence, Verdict } from '../../src/analysis/analyzer.ts';
import { analyzeWithRules } from '../../src/analysis/rules-analyzer.ts';
import { extractFromText } from '../../src/logs/log-extractor.ts';
import { RemediationPolicy } from '../../src/api/remediation-policy.ts';

export const NETWORK_LOG = [
  '##[group]Run npm ci',
  'npm ci',
  'npm ERR! code ECONNRESET',
  'npm ERR! network request to https://registry.npmjs.org/left-pad failed, reason: socket hang up',
  'npm ERR! network This is a problem related to network connectivity.',
  '##[error]Process completed with exit code 1.',
].join('\n');

export const TEST_LOG = [
  '##[group]Run npm test',
  'FAIL src/cart/total.test.ts',
  '  ● cart total › adds tax',
  '    expect(received).toBe(expected)',
  '    Expected: 110',
  '    Received: 100',
  '      at Object.<anonymous> (src/cart/total.test.ts:12:19)',
  'Tests: 1 failed, 41 passed, 42 total',
  '##[error]Process completed with exit code 1.',
].join('\n');

export function jobFrom(log: string, name = 'build', id = 1001): JobEvidence {
  return { name, id, conclusion: 'failure', extraction: extractFromText(log), cacheKeys: [] };
}

export function floorOf(job: JobEvidence): Verdict {
  return analyzeWithRules({ extraction: job.extraction, jobName: job.name, ...(job.conclusion !== undefined && { conclusion: job.conclusion }) });
}

export function policy(spec: Record<string, unknown> = {}): RemediationPolicy {
  return RemediationPolicy.parse({
    apiVersion: 'ci-remediator.dev/v1alpha1',
    kind: 'RemediationPolicy',
    metadata: { name: 'team', namespace: 'ci' },
    spec: { repositories: ['acme/*'], analysis: { provider: 'openai' }, ...spec },
  });
}

/** A verdict the model might give; the evidence is a line of `log` so it passes the verbatim check. */
export function modelVerdict(overrides: Record<string, unknown> = {}, evidence = 'npm ERR! code ECONNRESET'): Record<string, unknown> {
  return {
    category: 'network_error',
    riskScore: 10,
    confidence: 0.9,
    effort: 'trivial',
    components: [],
    summary: 'The npm registry connection was reset',
    reasoning: 'npm reported ECONNRESET while fetching from the registry; a re-run usually passes.',
    proposedRemediation: { action: 'rerun-failed-jobs', params: {}, rationale: 'transient network failure' },
    evidence: [evidence],
    ...overrides,
  };
}
