import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { analyzeJobLog, analyzeJobWithoutLog } from '../../../src/report/job-analysis.ts';

const FIXTURES = new URL('../../fixtures/logs/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');

async function* chunked(text: string, size = 64 * 1024): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** A long passing build followed by the failing step; `tail` lines end the log. */
function hugeLog(noiseLines: number, tail: string[]): string {
  const noise = Array.from({ length: noiseLines }, (_, i) => `2024-05-01T12:00:00.0000000Z compiling module ${i} of ${noiseLines} ok`);
  return [...noise, ...tail].join('\n') + '\n';
}

describe('analyzeJobLog', () => {
  it('extracts, redacts and classifies a job log; the excerpt is redacted and points into the log', async () => {
    const token = `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`;
    const log = fixture('gha-npm-jest-failure.log').replace('Expected: ', `Expected (token ${token}): `);
    const report = await analyzeJobLog(chunked(log, 100), { name: 'test', failedStep: 'Run npm test', conclusion: 'failure' }, { maxBytes: 32 * 1024 * 1024 });
    expect(report.analysis.category).toBe('test_failure');
    expect(report.fields.excerpt).toContain('applies the discount once');
    expect(report.fields.excerpt).not.toContain(token);
    expect(report.fields.excerpt).toContain('[REDACTED:');
    expect(report.redactions).not.toEqual({});
    expect(report.log.omitted).toBeNull();
    expect(report.fields.logBytes).toBe(Buffer.byteLength(log));
    expect(report.fields.logSha256).toBe(createHash('sha256').update(log).digest('hex'));
    const lines = log.split('\n');
    expect(report.fields.keyLine).toBeDefined();
    expect(stripVTControlCharacters(lines[report.fields.keyLine!.line - 1] ?? '')).toContain(report.fields.keyLine!.text);
    expect(report.fields.excerptStartLine).toBeGreaterThan(1);
  });

  it('keeps the tail of a log over the cap: the error at the end is found, at its line of the original log', async () => {
    const tail = [
      '2024-05-01T12:00:10.0000000Z ##[group]Run npm ci',
      '2024-05-01T12:00:10.0000000Z npm error code ECONNRESET',
      '2024-05-01T12:00:10.0000000Z npm error network aborted',
      '2024-05-01T12:00:10.0000000Z ##[error]Process completed with exit code 1.',
    ];
    const log = hugeLog(200_000, tail);
    expect(Buffer.byteLength(log)).toBeGreaterThan(10 * 1024 * 1024);
    const report = await analyzeJobLog(chunked(log), { name: 'build', conclusion: 'failure' }, { maxBytes: 256 * 1024 });
    expect(report.analysis.category).toBe('network_error');
    expect(report.log.omitted).not.toBeNull();
    expect(report.log.lines).toBe(200_000 + tail.length);
    expect(report.fields.logBytes).toBe(Buffer.byteLength(log));
    const original = log.split('\n');
    expect(report.fields.keyLine).toBeDefined();
    expect(original[report.fields.keyLine!.line - 1]).toContain(report.fields.keyLine!.text);
    expect(report.fields.keyLine!.line).toBeGreaterThan(200_000);
    expect(report.fields.excerptStartLine! + report.fields.excerpt.split('\n').length - 1).toBeLessThanOrEqual(original.length);
  });

  it('reports the cache keys the whole log restored, redacted, including those in the middle the window leaves out', async () => {
    const token = `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`;
    const head = [
      // As a Windows runner writes them: timestamped, CRLF.
      '2024-05-01T12:00:00.0000000Z ##[group]Run actions/setup-node@v4\r',
      '2024-05-01T12:00:01.0000000Z Cache hit for: node-cache-Windows-x64-npm-0123456789abcdef\r',
      '2024-05-01T12:00:02.0000000Z Cache restored from key: node-cache-Windows-x64-npm-0123456789abcdef\r',
    ];
    const middle = `2024-05-01T12:00:03.0000000Z Cache restored from key: Windows-deps-${token}\r`;
    const tail = ['2024-05-01T12:00:10.0000000Z npm error code EINTEGRITY', '2024-05-01T12:00:10.0000000Z ##[error]Process completed with exit code 1.'];
    const log = [...head, ...hugeLog(20_000, [middle, ...hugeLog(20_000, tail).trimEnd().split('\n')]).trimEnd().split('\n')].join('\n') + '\n';
    const report = await analyzeJobLog(chunked(log, 7919), { name: 'test', conclusion: 'failure' }, { maxBytes: 64 * 1024 });
    expect(report.log.omitted).not.toBeNull();
    // The second key's line is one the window left out.
    const middleLine = head.length + 20_000 + 1;
    expect(log.split('\n')[middleLine - 1]).toBe(middle);
    expect(report.log.omitted!.fromLine).toBeLessThan(middleLine);
    expect(report.log.omitted!.toLine).toBeGreaterThan(middleLine);
    expect(report.fields.cacheKeys).toEqual(['node-cache-Windows-x64-npm-0123456789abcdef', 'Windows-deps-[REDACTED:github-token]']);
    expect(JSON.stringify(report)).not.toContain(token);
    expect(report.redactions['github-token']).toBe(1);
  });

  it('reads an empty log as no evidence', async () => {
    const report = await analyzeJobLog(chunked(''), { name: 'build', conclusion: 'failure' }, { maxBytes: 1024 });
    expect(report.fields.excerpt).toBe('');
    expect(report.fields.excerptStartLine).toBeUndefined();
    expect(report.fields.cacheKeys).toBeUndefined();
    expect(report.fields.logBytes).toBe(0);
  });
});

describe('analyzeJobWithoutLog', () => {
  it('classifies from the conclusion alone', () => {
    expect(analyzeJobWithoutLog({ name: 'deploy', conclusion: 'timed_out' }).category).toBe('timeout');
    expect(analyzeJobWithoutLog({ name: 'deploy', conclusion: 'failure' }).fingerprint).toMatch(/^rules:v1:[0-9a-f]{20}$/);
  });
});
