import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CacheKeyCollector, MAX_CACHE_KEY_LENGTH, MAX_CACHE_KEYS } from '../../src/logs/cache-key-collector.ts';

// However a log is chunked (network reads split lines anywhere, even inside a character), the collector
// finds the same keys as in one piece, every byte passes through unchanged, and the bounds hold.

async function* chunks(bytes: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length] ?? 1);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

async function collect(bytes: Buffer, sizes: number[]): Promise<{ keys: readonly string[]; passed: Buffer }> {
  const collector = new CacheKeyCollector();
  const parts: Buffer[] = [];
  for await (const part of collector.observe(chunks(bytes, sizes))) parts.push(Buffer.from(part));
  return { keys: collector.keys, passed: Buffer.concat(parts) };
}

const TS = '2024-05-01T12:00:00.1234567Z ';
const key = fc.oneof(
  fc.constantFrom('Linux-node-0123456789abcdef', 'node-cache-Linux-x64-npm-6c1f0e5b', 'Windows-pip-é-42', 'Cache hit for: nested'),
  fc.string({ unit: fc.constantFrom('a', '-', '9', 'é', ' '), maxLength: 40 }),
  fc.integer({ min: MAX_CACHE_KEY_LENGTH - 2, max: MAX_CACHE_KEY_LENGTH + 2 }).map((length) => 'k'.repeat(length)),
);
const line = fc.oneof(
  fc.tuple(fc.constantFrom('Cache restored from key: ', 'Cache hit for: ', 'Cache hit for restore-key: '), key, fc.constantFrom('', '\r', '\u001b[0m')).map(
    ([phrase, k, end]) => `${TS}${phrase}${k}${end}`,
  ),
  key.map((k) => `${TS}Cache restored from key: ${k}`),
  fc.integer({ min: 150, max: 170 }).map((lead) => `${' '.repeat(lead)}Cache hit for: lead-${lead}`),
  // Colour codes before the phrase are invisible, so the line counts while they fit the lead allowed.
  fc.integer({ min: 30, max: 42 }).map((codes) => `${TS}${'\u001b[0m'.repeat(codes)}Cache restored from key: codes-${codes}`),
  fc.constantFrom(`${TS}Cache Size: ~1 MB`, `${TS}npm ci`, 'Cache', 'Cach', `${TS}##[group]Run echo "Cache hit for: x"`, ''),
);

describe('CacheKeyCollector', () => {
  it('collects the same keys however the log is chunked, within its bounds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 40 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }),
        async (lines, finalNewline, sizes) => {
          const bytes = Buffer.from(lines.join('\n') + (finalNewline ? '\n' : ''), 'utf8');
          const whole = await collect(bytes, [bytes.length + 1]);
          const chunked = await collect(bytes, sizes);
          expect(chunked.keys).toEqual(whole.keys);
          expect(chunked.passed.equals(bytes)).toBe(true);
          expect(whole.keys.length).toBeLessThanOrEqual(MAX_CACHE_KEYS);
          expect(new Set(whole.keys).size).toBe(whole.keys.length);
          for (const k of whole.keys) {
            expect(k.length).toBeGreaterThan(0);
            expect(k.length).toBeLessThanOrEqual(MAX_CACHE_KEY_LENGTH);
            expect(k).toBe(k.trim());
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
