// FailureRecords in the states the Slack tests need, parsed with the production schema so they are valid.

import { FailureRecord, type FailurePhase } from '../../src/api/failure-record.ts';
import type { RecordWithUid } from '../../src/slack/approval-digest.ts';

export interface RecordOptions {
  name?: string;
  namespace?: string;
  uid?: string;
  repository?: string;
  runId?: number;
  runAttempt?: number;
  author?: string;
  fingerprint?: string;
  phase?: FailurePhase;
  policyGeneration?: number;
  keyLine?: string;
  decision?: 'auto' | 'approval' | 'blocked';
}

export function slackRecord(options: RecordOptions = {}): RecordWithUid {
  const repository = options.repository ?? 'acme/web';
  const runId = options.runId ?? 18235534013;
  const runAttempt = options.runAttempt ?? 1;
  const phase = options.phase ?? 'AwaitingApproval';
  const record = FailureRecord.parse({
    apiVersion: 'ci-remediator.dev/v1alpha1',
    kind: 'FailureRecord',
    metadata: { name: options.name ?? `acme-web-${runId}-${runAttempt}`, namespace: options.namespace ?? 'ci' },
    spec: {
      source: 'action',
      repository,
      workflow: { name: 'CI', path: '.github/workflows/ci.yml', runId, runAttempt, url: `https://github.com/${repository}/actions/runs/${runId}`, event: 'push' },
      commit: { sha: 'd6cd1e2bd19e03a81132a23b2025920577f84e37', branch: 'main', ...(options.author !== undefined ? { author: options.author } : { author: 'octocat' }) },
      failedJobs: [
        {
          id: 50123456789,
          name: 'test (ubuntu-latest)',
          url: `https://github.com/${repository}/actions/runs/${runId}/job/50123456789`,
          failedStep: 'Install dependencies',
          conclusion: 'failure',
          excerpt: 'npm ERR! network request to https://registry.npmjs.org/left-pad failed, reason: getaddrinfo EAI_AGAIN',
          excerptStartLine: 120,
          keyLine: { line: 123, text: options.keyLine ?? 'npm ERR! network request to https://registry.npmjs.org/left-pad failed, reason: getaddrinfo EAI_AGAIN' },
          logBytes: 48211,
        },
      ],
      detectedAt: '2026-12-04T20:00:00Z',
      fingerprint: options.fingerprint ?? 'rules:v1:0123456789abcdef0123',
    },
    status: {
      phase,
      analysis: {
        analyzer: 'rules',
        rule: 'npm-network',
        category: 'network_error',
        riskScore: 35,
        confidence: 0.9,
        effort: 'trivial',
        summary: 'The registry could not be reached while installing dependencies; a re-run usually passes.',
        reasoning: 'EAI_AGAIN is a DNS failure on the runner.',
        proposedRemediation: { action: 'rerun-failed-jobs', params: {}, rationale: 'Transient network failure.' },
      },
      gate: {
        decision: options.decision ?? 'approval',
        reasons: ['Risk 35 is at or above the policy threshold 30.', 'The repository is protected: every remediation needs a person.'],
        policyName: 'web',
        policyGeneration: options.policyGeneration ?? 3,
        threshold: 30,
        riskScore: 35,
      },
      ...(phase === 'AwaitingApproval' && { approval: { requestedAt: '2026-12-04T20:00:05Z', expiresAt: '2026-12-05T20:00:05Z' } }),
    },
  });
  return { ...record, metadata: { ...record.metadata, uid: options.uid ?? '6f1c1c1e-7d0b-4c59-9a39-1f7b7d8e2a01' } };
}
