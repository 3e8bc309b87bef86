import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { CacheKeyCollector, MAX_CACHE_KEYS, redactCacheKeys } from '../../../src/logs/cache-key-collector.ts';

const EXAMPLES = new URL('../../../examples/logs/', import.meta.url);
const NODE_KEY = 'node-cache-Linux-x64-npm-6c1f0e5b2a8d9c3e4f7a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2';
const TS = '2024-05-01T12:00:00.1234567Z ';

async function* chunks(parts: ReadonlyArray<string | Uint8Array>): AsyncGenerator<string | Uint8Array> {
  for (const part of parts) yield part;
}

/** The keys collected from `parts`, and the bytes the collector passed on. */
async function collect(parts: ReadonlyArray<string | Uint8Array>): Promise<{ keys: readonly string[]; passed: Buffer }> {
  const collector = new CacheKeyCollector();
  const out: Buffer[] = [];
  for await (const chunk of collector.observe(chunks(parts))) out.push(chunk);
  return { keys: collector.keys, passed: Buffer.concat(out) };
}

async function keysOf(text: string): Promise<readonly string[]> {
  return (await collect([text])).keys;
}

describe('CacheKeyCollector', () => {
  it('finds the key setup-node restored in a real job log, once, and passes every byte on unchanged', async () => {
    const log = readFileSync(new URL('gha-npm-network-error.log', EXAMPLES));
    const { keys, passed } = await collect([log.subarray(0, 5000), log.subarray(5000)]);
    // Printed twice ("Cache hit for:" and "Cache restored from key:"): one key.
    expect(keys).toEqual([NODE_KEY]);
    expect(passed.equals(log)).toBe(true);
  });

  it('reads keys on timestamped CRLF lines, with colour codes, as GitHub prints them', async () => {
    const log = [
      `${TS}##[group]Run actions/cache@v4\r`,
      `${TS}Cache hit for restore-key: Linux-pip-0123456789abcdef\r`,
      `${TS}\u001b[36;1mCache restored from key: Windows-node-fedcba9876543210\u001b[0m\r`,
      `${TS}Cache restored from key:   macOS-go-1.22-aaaaaaaa   \r`,
      '',
    ].join('\n');
    expect(await keysOf(log)).toEqual(['Linux-pip-0123456789abcdef', 'Windows-node-fedcba9876543210', 'macOS-go-1.22-aaaaaaaa']);
  });

  it('finds a key wherever the chunks split its line, byte by byte too', async () => {
    const line = `${TS}Cache restored from key: Linux-node-0123456789abcdef\r\n`;
    const log = Buffer.from(`${TS}npm ci\n${line}${TS}done\n`, 'utf8');
    for (let split = 1; split < log.length; split++) {
      expect({ split, keys: (await collect([log.subarray(0, split), log.subarray(split)])).keys }).toEqual({ split, keys: ['Linux-node-0123456789abcdef'] });
    }
    const bytes = [...log].map((byte) => Uint8Array.of(byte));
    expect((await collect(bytes)).keys).toEqual(['Linux-node-0123456789abcdef']);
  });

  it('keeps the first 8 distinct keys, in order of appearance', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `Linux-shard-${i}-0123456789abcdef`);
    const lines = keys.flatMap((key) => [`${TS}Cache hit for: ${key}`, `${TS}Cache restored from key: ${key}`]);
    expect(await keysOf(`${lines.join('\n')}\n`)).toEqual(keys.slice(0, MAX_CACHE_KEYS));
  });

  it('stops reading after 256 such lines: a log that prints the phrase on every line costs no decode per line', async () => {
    const flood = Array.from({ length: 300 }, () => `${TS}Cache hit for: Linux-same-0123456789abcdef`);
    const log = `${flood.join('\n')}\n${TS}Cache restored from key: Linux-late-0123456789abcdef\n`;
    expect(await keysOf(log)).toEqual(['Linux-same-0123456789abcdef']);
  });

  it('reads only lines whose visible text starts with the phrase, not echoed commands, annotations or other cache messages', async () => {
    const log = [
      `${TS}##[group]Run echo "Cache restored from key: from-a-group-header"`,
      `${TS}echo Cache restored from key: inside-a-line`,
      `${TS}##[warning]Cache restored from key: from-an-annotation`,
      `${TS}::notice::Cache restored from key: from-a-command`,
      `${TS}Cache not found for input keys: Linux-node-abc, Linux-node-`,
      `${TS}Cache Size: ~113 MB (118223145 B)`,
      `${TS}Cache restored successfully`,
      `${TS}Cache restored from key: `,
      `${' '.repeat(200)}Cache restored from key: too-far-into-its-line`,
      `${TS}Cache restored from key: with\u0007control`,
      `${TS}Cache hit for: Linux-real-0123456789abcdef`,
    ].join('\n');
    expect(await keysOf(log)).toEqual(['Linux-real-0123456789abcdef']);
  });

  it('drops a key longer than GitHub allows, even when its line spans chunks, and goes on after it', async () => {
    const long = `Linux-${'x'.repeat(600)}`;
    const log = `${TS}Cache restored from key: ${long}\n${TS}Cache restored from key: Linux-ok-0123456789abcdef\n`;
    const bytes = Buffer.from(log);
    expect((await collect([bytes.subarray(0, 100), bytes.subarray(100, 400), bytes.subarray(400)])).keys).toEqual(['Linux-ok-0123456789abcdef']);
    expect(await keysOf(`${TS}Cache restored from key: ${'k'.repeat(512)}`)).toEqual(['k'.repeat(512)]);
    expect(await keysOf(`${TS}Cache restored from key: ${'k'.repeat(513)}`)).toEqual([]);
  });

  it('reads a last line without a newline, and a multi-megabyte line without keeping it', async () => {
    expect(await keysOf(`${TS}x\n${TS}Cache restored from key: Linux-last-0123456789abcdef`)).toEqual(['Linux-last-0123456789abcdef']);
    const huge = 'Cache '.repeat(1_000_000);
    expect(await keysOf(`${huge}\n${TS}Cache restored from key: Linux-after-0123456789abcdef\n`)).toEqual(['Linux-after-0123456789abcdef']);
  });
});

describe('redactCacheKeys', () => {
  it('redacts a secret inside a key and counts it; keys that redact alike become one', async () => {
    const token = (seed: string) => `ghp_${seed.repeat(3)}abcdef`;
    const redacted = await redactCacheKeys([`Linux-deps-${token('a1B2c3D4e5')}`, 'Linux-node-0123456789abcdef', `Linux-deps-${token('f6G7h8J9k0')}`]);
    expect(redacted.keys).toEqual(['Linux-deps-[REDACTED:github-token]', 'Linux-node-0123456789abcdef']);
    expect(redacted.redactions).toEqual({ 'github-token': 2 });
  });
});
