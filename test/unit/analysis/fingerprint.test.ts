import { describe, expect, it } from '@jest/globals';
import { computeFingerprint, normalizeForFingerprint } from '../../../src/analysis/fingerprint.ts';
import { analyzeWithRules } from '../../../src/analysis/rules-analyzer.ts';
import { extractionOf } from './helpers.ts';

/** The same go test failure as two different runs print it. */
function goRun(v: { secs: string; port: number; line: number; tmp: string; sha: string; ts: string; ws: string }): string[] {
  return [
    `${v.ts} --- FAIL: TestSimulation (${v.secs})`,
    `    peer_test.go:${v.line}: failed to start the first server. err: listen udp 127.0.0.1:${v.port}: bind: connection refused`,
    `    peer_test.go:507: config written to ${v.tmp}/p2p-sim.json at ${v.sha}`,
    `FAIL\tgithub.com/ethereum/go-ethereum/p2p/simulations\t${v.secs}`,
    `${v.ws}/p2p/simulations/peer_test.go:${v.line}: request 6f1c2a3e-8b4d-4e2f-9a1b-3c5d7e9f0a1b failed`,
  ];
}

describe('fingerprint', () => {
  const runA = goRun({ secs: '10.06s', port: 42613, line: 235, tmp: '/tmp/tmp.7muyWDlizz', sha: 'a1b2c3d4e5f6', ts: '2024-05-01T10:00:01.123Z', ws: '/home/runner/work/geth/geth' });
  const runB = goRun({ secs: '62.00s', port: 41777, line: 236, tmp: '/tmp/tmp.qBeGnnVmPh', sha: '0f9e8d7c6b5a', ts: '2024-05-02T23:59:59.999Z', ws: 'D:\\a\\geth\\geth' });

  it('is stable across runs that differ only in numbers, times, durations, ports, hashes, temp paths and workspaces', () => {
    const a = analyzeWithRules({ extraction: extractionOf(runA, { key: 0, signals: [0, 1, 3] }) });
    const b = analyzeWithRules({ extraction: extractionOf(runB, { key: 0, signals: [0, 1, 3], startLine: 900 }) });
    expect(a.category).toBe('test_failure');
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).toMatch(/^rules:v1:[0-9a-f]{20}$/);
  });

  it('differs for a different failure', () => {
    const other = runA.map((l) => l.replace('TestSimulation', 'TestClientNotificationStorm'));
    const a = analyzeWithRules({ extraction: extractionOf(runA, { key: 0, signals: [0, 1, 3] }) });
    const c = analyzeWithRules({ extraction: extractionOf(other, { key: 0, signals: [0, 1, 3] }) });
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });

  it('differs between categories and rules for the same text', () => {
    const base = { ruleId: 'r', keyLine: 'x', evidence: [] };
    expect(computeFingerprint({ ...base, category: 'test_failure' })).not.toBe(computeFingerprint({ ...base, category: 'timeout' }));
    expect(computeFingerprint({ ...base, category: 'timeout', ruleId: 'a' })).not.toBe(
      computeFingerprint({ ...base, category: 'timeout', ruleId: 'b' }),
    );
  });

  it('does not depend on evidence order', () => {
    const one = computeFingerprint({ category: 'lint_error', ruleId: 'r', keyLine: null, evidence: ['a', 'b'] });
    const two = computeFingerprint({ category: 'lint_error', ruleId: 'r', keyLine: null, evidence: ['b', 'a'] });
    expect(one).toBe(two);
  });

  it('keeps redaction markers, whose secret type is meaningful', () => {
    expect(normalizeForFingerprint('token [REDACTED:github-token] rejected after 3 tries')).toBe(
      'token [REDACTED:github-token] rejected after ‹n› tries',
    );
    expect(normalizeForFingerprint('auth [REDACTED:github-token]')).not.toBe(normalizeForFingerprint('auth [REDACTED:aws-access-key]'));
  });

  it.each([
    ['--- FAIL: TestX (0.18s)', '--- FAIL: TestX (‹dur›)'],
    ['No output has been received in the last 10m0s', 'No output has been received in the last ‹dur›'],
    ['at 12:01:33 on 2019/08/01 15:12:45', 'at ‹ts› on ‹ts›'],
    ['commit 3f2a9c1d4e5b6a7c8d9e0f1a2b3c4d5e6f7a8b9c', 'commit ‹hex›'],
    ['heap-use-after-free on address 0x61b000080607', 'heap-use-after-free on address ‹hex›'],
    ['id 6f1c2a3e-8b4d-4e2f-9a1b-3c5d7e9f0a1b', 'id ‹uuid›'],
    ['wrote /tmp/pytest-of-runner/pytest-3/out.txt', 'wrote ‹tmp›'],
    ['src/a.ts(12,5): error TS2322', 'src/a.ts(‹n›,‹n›): error TS‹n›'],
    ['/home/runner/work/shop/shop/src/a.ts:1:2', 'src/a.ts:‹n›:‹n›'],
  ])('normalizes %s', (input, expected) => {
    expect(normalizeForFingerprint(input)).toBe(expected);
  });
});
