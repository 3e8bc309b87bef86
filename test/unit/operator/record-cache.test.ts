import { describe, expect, it } from '@jest/globals';
import { slimRecordForCache, type RecordObject } from '../../../operator/controllers/failurerecord.ts';
import { StringInterner } from '../../../operator/runtime/intern.ts';

const analyzed = (): RecordObject => ({
  apiVersion: 'ci-remediator.dev/v1alpha1',
  kind: 'FailureRecord',
  metadata: { name: 'acme-web-1-1-abc', namespace: 'ci', uid: 'u-1', resourceVersion: '7', managedFields: [{ manager: 'kubectl' }] },
  spec: {
    repository: 'acme/web',
    failedJobs: [
      { id: 1, name: 'test', url: 'https://github.com/acme/web/actions/runs/1/job/1', conclusion: 'failure', excerpt: 'x'.repeat(8000), excerptStartLine: 10, excerptWindows: [{ startLine: 10, lines: 8000 }], signals: [{ line: 12, text: 'Error: boom' }], keyLine: { line: 12, text: 'Error: boom' }, logBytes: 9000, logSha256: 'a'.repeat(64) },
    ],
  },
  status: {
    phase: 'AwaitingApproval',
    analysis: {
      analyzer: 'rules',
      category: 'network_error',
      riskScore: 20,
      confidence: 0.8,
      effort: 'trivial',
      components: [],
      summary: 'network: ECONNRESET',
      reasoning: 'Rules: network.socket matched lines 12.',
      proposedRemediation: { action: 'rerun-failed-jobs', rationale: 'transient' },
      injectionSuspected: false,
    },
  },
});

describe('the record cache', () => {
  it('keeps what gating and execution read and leaves out the log-derived parts once analyzed', () => {
    const slim = slimRecordForCache(analyzed());
    const job = (slim.spec as { failedJobs: Record<string, unknown>[] }).failedJobs[0]!;
    expect(job).toEqual({ id: 1, name: 'test', url: 'https://github.com/acme/web/actions/runs/1/job/1', conclusion: 'failure', excerpt: '', logBytes: 9000 });
    expect(slim.metadata?.managedFields).toBeUndefined();
    expect(slim.status?.analysis).not.toHaveProperty('reasoning');
    expect(slim.status?.analysis).toMatchObject({ category: 'network_error', proposedRemediation: { action: 'rerun-failed-jobs' } });
  });

  it('keeps a record that still has to be analyzed whole', () => {
    const record = analyzed();
    delete record.status;
    const slim = slimRecordForCache(record);
    expect((slim.spec as { failedJobs: { excerpt: string; keyLine?: unknown }[] }).failedJobs[0]).toMatchObject({ excerpt: 'x'.repeat(8000), keyLine: { line: 12 } });
  });
});

describe('StringInterner', () => {
  it('returns an equal copy whose equal strings are shared between objects', () => {
    const interner = new StringInterner();
    const first = interner.intern(JSON.parse('{"a":"network_error","b":["acme/web"],"n":3,"t":true,"z":null}') as Record<string, unknown>);
    const second = interner.intern(JSON.parse('{"a":"network_error","b":["acme/web"],"n":3,"t":true,"z":null}') as Record<string, unknown>);
    expect(second).toEqual({ a: 'network_error', b: ['acme/web'], n: 3, t: true, z: null });
    expect(interner.size).toBe(2);
    expect(first).toEqual(second);
  });

  it('stays bounded: past its limit it starts over, and long strings never enter it', () => {
    const interner = new StringInterner({ maxEntries: 3, maxLength: 10 });
    for (const text of ['a', 'b', 'c', 'd', 'e']) interner.intern(text);
    expect(interner.size).toBeLessThanOrEqual(3);
    interner.intern('x'.repeat(11));
    expect(interner.size).toBeLessThanOrEqual(3);
    expect(interner.intern({ long: 'y'.repeat(50) })).toEqual({ long: 'y'.repeat(50) });
  });
});
