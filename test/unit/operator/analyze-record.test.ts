import { describe, expect, it } from '@jest/globals';
import { analyzeRecord, fallbackConditionReason, modelFields } from '../../../operator/controllers/analyze-record.ts';
import { FailureRecordSpec, type FailedJob } from '../../../src/api/failure-record.ts';

// How the operator turns a record's spec into status.analysis, here for the key prefix clear-caches deletes by.

const INTEGRITY = 'npm ERR! code EINTEGRITY\nnpm ERR! sha512-abc integrity checksum failed when using sha512: wanted sha512-abc but got sha512-def. (1234 bytes)';
const NETWORK = 'npm error code ECONNRESET\nnpm error network aborted\nnpm error errno ECONNRESET';
const SHA = '6c1f0e5b2a8d9c3e4f7a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2';
const NOW = new Date('2026-11-26T10:00:00Z');

let jobIds = 0;
function job(name: string, excerpt: string, cacheKeys?: string[]): FailedJob {
  const id = ++jobIds;
  return {
    id,
    name,
    url: `https://github.com/acme/web/actions/runs/1/job/${id}`,
    failedStep: 'Run npm ci',
    conclusion: 'failure',
    excerpt,
    excerptStartLine: 1,
    logBytes: excerpt.length,
    ...(cacheKeys !== undefined && { cacheKeys }),
  };
}

function spec(...failedJobs: FailedJob[]): FailureRecordSpec {
  return FailureRecordSpec.parse({
    source: 'action',
    repository: 'acme/web',
    workflow: { name: 'CI', path: '.github/workflows/ci.yml', runId: 1, runAttempt: 1, url: 'https://github.com/acme/web/actions/runs/1', event: 'push' },
    commit: { sha: 'a'.repeat(40), branch: 'main' },
    failedJobs,
    detectedAt: NOW.toISOString(),
    fingerprint: 'rules:v1:0123456789abcdef0123',
  });
}

describe('analyzeRecord: the key prefix of clear-caches', () => {
  it('proposes clear-caches with the key prefix of the caches the failed job restored', async () => {
    const analysis = await analyzeRecord(spec(job('test', INTEGRITY, [`node-cache-Linux-x64-npm-${SHA}`])), NOW);
    expect(analysis.proposedRemediation).toMatchObject({ action: 'clear-caches', params: { keyPrefix: 'node-cache-Linux-x64-npm-' } });
    expect(analysis.proposedRemediation.rationale).toContain("key starts with 'node-cache-Linux-x64-npm-'");
  });

  it('covers the caches of every job failing the same way, and not those of a job that failed for another reason', async () => {
    const analysis = await analyzeRecord(
      spec(
        job('test (ubuntu)', INTEGRITY, [`node-cache-Linux-x64-npm-${SHA}`]),
        job('test (windows)', INTEGRITY, [`node-cache-Windows-x64-npm-${SHA}`]),
        job('docs', NETWORK, [`setup-python-Linux-x64-pip-${SHA}`]),
      ),
      NOW,
    );
    expect(analysis.proposedRemediation).toMatchObject({ action: 'clear-caches', params: { keyPrefix: 'node-cache-' } });
  });

  it('gives no key prefix without keys, with keys too broad, or with a key that is not the stored one', async () => {
    const token = `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`;
    for (const cacheKeys of [undefined, [`npm-${SHA}`], [`Windows-node-${SHA}`, `Windows-pip-${SHA}`], [`Linux-node-***-${SHA}`], [`Linux-deps-${token}`]]) {
      const analysis = await analyzeRecord(spec(job('test', INTEGRITY, cacheKeys)), NOW);
      expect(analysis.proposedRemediation.action).toBe('clear-caches');
      expect(analysis.proposedRemediation).not.toHaveProperty('params');
      // A careless producer's unredacted key does not reach status, in the prefix or anywhere.
      expect(JSON.stringify(analysis)).not.toContain(token);
    }
  });

  it('adds no parameter to other actions', async () => {
    const analysis = await analyzeRecord(spec(job('test', NETWORK, [`node-cache-Linux-x64-npm-${SHA}`])), NOW);
    expect(analysis.proposedRemediation.action).toBe('rerun-failed-jobs');
    expect(analysis.proposedRemediation).not.toHaveProperty('params');
  });
});

describe('what a model verdict leaves in status', () => {
  const floor = { analyzer: 'rules' as const, category: 'network_error' as const, riskScore: 20, confidence: 0.8, effort: 'trivial' as const, components: [], summary: 's', reasoning: 'r', fingerprint: 'f', proposedRemediation: { action: 'rerun-failed-jobs' as const, rationale: 'why' } };

  it('bounds spans and notes, and never drops a forced approval reason (the extra ones fold into the last)', () => {
    const spans = Array.from({ length: 25 }, (_, i) => ({ source: 'log:test', kind: 'ignore-instructions' as const, start: 0, end: 5, line: i + 1, excerpt: 'ignore previous instructions' }));
    const reasons = Array.from({ length: 10 }, (_, i) => `reason ${i}`);
    const fields = modelFields({ ...floor, analyzer: 'openai', injectionSuspected: true, injectionSpans: spans, approvalReasons: reasons, mergeNotes: reasons, toolCalls: ['read_job_log'] });
    expect(fields.injectionSpans).toHaveLength(20);
    expect(fields.injectionSpans![0]).toEqual({ source: 'log:test', kind: 'ignore-instructions', line: 1, excerpt: 'ignore previous instructions' });
    expect(fields.approvalReasons).toHaveLength(8);
    expect(fields.approvalReasons![7]).toBe('and 3 more: reason 7; reason 8; reason 9');
    expect(fields.mergeNotes).toHaveLength(8);
    expect(fields.toolCalls).toEqual(['read_job_log']);
    expect(fields.fallback).toBeUndefined();
  });

  it('names a fallback in CamelCase, the reason its ModelAnalysis condition carries', () => {
    expect(modelFields({ ...floor, fallbackReason: 'the model endpoint failed (503) after the retries: rules only', fallbackCode: 'server-error' }).fallback).toEqual({
      reason: 'ServerError',
      message: 'the model endpoint failed (503) after the retries: rules only',
    });
    expect(['over-daily-budget', 'timeout', 'evidence-not-seen', undefined, '???'].map(fallbackConditionReason)).toEqual(['OverDailyBudget', 'Timeout', 'EvidenceNotSeen', 'Error', 'Error']);
  });
});
