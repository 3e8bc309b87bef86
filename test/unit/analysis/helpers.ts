import type { Extraction } from '../../../src/logs/types.ts';

/**
 * Builds an Extraction the way the extractor shapes one: numbered lines, the chosen key line, the lines that
 * carry signals (best first) and one excerpt window over all of them.
 */
export function extractionOf(
  lines: readonly string[],
  options: { key?: number | null; signals?: readonly number[]; startLine?: number } = {},
): Extraction {
  const start = options.startLine ?? 1;
  const keyIndex = options.key === undefined ? lines.length - 1 : options.key;
  const keyText = keyIndex === null ? undefined : lines[keyIndex];
  const signalIdx = options.signals ?? (keyIndex === null ? [] : [keyIndex]);
  return {
    keyLine: keyIndex === null || keyText === undefined ? null : { line: start + keyIndex, text: keyText },
    excerpts: lines.length === 0 ? [] : [{ startLine: start, endLine: start + lines.length - 1, text: lines.join('\n') }],
    signals: signalIdx.map((i, rank) => ({ line: start + i, text: lines[i] ?? '', score: 100 - rank, kind: 'test' })),
    stats: { lines: start + lines.length, bytes: lines.join('\n').length, truncatedLines: 0 },
  };
}

/** A single real log line, as the extractor would return it when that line is the whole story. */
export function singleLine(text: string, line = 1): Extraction {
  return extractionOf([text], { key: 0, signals: [0], startLine: line });
}
