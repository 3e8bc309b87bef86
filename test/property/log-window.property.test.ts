import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LogWindow } from '../../src/logs/log-window.ts';

// Whatever the log and however it is chunked, every kept line maps back to the same text at the mapped line
// of the original, the kept bytes stay within the budget (plus the note), and the summary describes the
// whole log.

async function* chunks(bytes: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length] ?? 1);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

async function keep(bytes: Buffer, maxBytes: number, sizes: number[]): Promise<{ kept: Buffer; window: LogWindow }> {
  const window = new LogWindow({ maxBytes });
  const parts: Buffer[] = [];
  for await (const part of window.keep(chunks(bytes, sizes))) parts.push(Buffer.from(part));
  return { kept: Buffer.concat(parts), window };
}

const NOTE = /··· ci-remediator: \d+ bytes \(lines \d+-\d+\) not shown/;

describe('LogWindow', () => {
  it('maps every kept line back to the same line of the original log', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'é', ' ', 'x'), maxLength: 40 }), { minLength: 0, maxLength: 300 }),
        fc.boolean(),
        fc.integer({ min: 2, max: 2000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 5 }),
        async (lines, finalNewline, maxBytes, sizes) => {
          const text = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '');
          const bytes = Buffer.from(text, 'utf8');
          const { kept, window } = await keep(bytes, maxBytes, sizes);
          const summary = window.summary;
          expect(summary.bytes).toBe(bytes.length);
          expect(summary.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
          const original = text.split('\n');
          expect(summary.lines).toBe(text === '' ? 0 : text.endsWith('\n') ? original.length - 1 : original.length);

          if (summary.omitted === null) {
            expect(kept.equals(bytes)).toBe(true);
            return;
          }
          expect(kept.length).toBeLessThanOrEqual(maxBytes + 400);
          const keptLines = kept.toString('utf8').split('\n');
          let previous = 0;
          keptLines.forEach((line, index) => {
            const number = summary.toOriginalLine(index + 1);
            // Line numbers only grow: the mapping keeps the log's order.
            expect(number).toBeGreaterThan(previous);
            previous = number;
            if (NOTE.test(line)) return;
            // The head may end inside a line (cut bytes, possibly mid-character): only complete lines compare.
            const full = original[number - 1];
            if (index === keptLines.length - 1 && line === '') return;
            if (Buffer.byteLength(line) < Buffer.byteLength(full ?? '') && (full ?? '').startsWith(line.replace(/\uFFFD+$/, ''))) return;
            expect({ line: number, text: line }).toEqual({ line: number, text: full });
          });
        },
      ),
      { numRuns: 300, seed: 20250601 },
    );
  });
});
