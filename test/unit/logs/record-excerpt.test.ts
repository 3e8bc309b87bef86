import { describe, expect, it } from '@jest/globals';
import { FailedJob } from '../../../src/api/failure-record.ts';
import { extractFromText } from '../../../src/logs/log-extractor.ts';
import { EXCERPT_GAP, extractionOfRecord, recordExcerpt } from '../../../src/logs/record-excerpt.ts';

const signal = (line: number, text: string) => ({ line, text, score: 1, kind: 'test' });

describe('recordExcerpt', () => {
  it('joins windows in log order, a gap line between windows that are not adjacent, and records their layout', () => {
    const record = recordExcerpt({
      excerpts: [
        { startLine: 10, endLine: 11, text: 'a\nb' },
        { startLine: 12, endLine: 12, text: 'c' },
        { startLine: 40, endLine: 41, text: 'd\ne' },
      ],
      signals: [signal(41, 'e'), signal(7, 'Error: elsewhere')],
    });
    expect(record).toEqual({
      excerpt: `a\nb\nc\n${EXCERPT_GAP}\nd\ne`,
      excerptStartLine: 10,
      excerptWindows: [
        { startLine: 10, lines: 2 },
        { startLine: 12, lines: 1 },
        { startLine: 40, lines: 2 },
      ],
      // A signal inside a window is named by its line; one outside carries its text.
      signals: [{ line: 41 }, { line: 7, text: 'Error: elsewhere' }],
    });
  });

  it('stays within the record limit, cut on a line boundary, the layout covering only the kept lines', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(50)}`).join('\n');
    const record = recordExcerpt({ excerpts: [{ startLine: 1, endLine: 100, text }], signals: [] }, 1000);
    expect(record.excerpt.length).toBeLessThanOrEqual(1000);
    expect(record.excerpt.endsWith(`\n${EXCERPT_GAP}`)).toBe(true);
    const kept = record.excerpt.split('\n').slice(0, -1);
    expect(kept.every((line) => /^line \d+ x+$/.test(line))).toBe(true);
    expect(record.excerptWindows).toEqual([{ startLine: 1, lines: kept.length }]);
  });
});

describe('extractionOfRecord', () => {
  const job = (fields: Partial<FailedJob>): FailedJob =>
    FailedJob.parse({ id: 1, name: 'test', url: 'https://github.com/acme/web/actions/runs/1/job/1', conclusion: 'failure', logBytes: 10, excerpt: '', ...fields });

  it('gives back the windows and signals at the line numbers the action found them, after a gap too', () => {
    const extraction = {
      excerpts: [
        { startLine: 3, endLine: 4, text: 'npm ci\nnpm error code ECONNRESET' },
        { startLine: 90, endLine: 91, text: 'FAIL src/cart.test.ts\n##[error]Process completed with exit code 1.' },
      ],
      signals: [signal(4, 'npm error code ECONNRESET'), signal(91, '##[error]Process completed with exit code 1.'), signal(60, 'warning: retrying')],
    };
    const back = extractionOfRecord(job({ ...recordExcerpt(extraction), keyLine: { line: 4, text: 'npm error code ECONNRESET' } }));
    expect(back.excerpts).toEqual(extraction.excerpts);
    expect(back.signals.map(({ line, text }) => ({ line, text }))).toEqual(extraction.signals.map(({ line, text }) => ({ line, text })));
    expect(back.keyLine).toEqual({ line: 4, text: 'npm error code ECONNRESET' });
  });

  it('reads a record without a layout (or with one its text contradicts) by extracting its excerpt again', () => {
    const excerpt = 'step one\nError: boom\nexit code 1';
    const legacy = extractionOfRecord(job({ excerpt, excerptStartLine: 20 }));
    const again = extractFromText(excerpt);
    expect(legacy.keyLine?.line).toBe(again.keyLine!.line + 19);
    const contradicted = extractionOfRecord(job({ excerpt, excerptStartLine: 20, excerptWindows: [{ startLine: 20, lines: 9 }] }));
    expect(contradicted.excerpts).toEqual(legacy.excerpts);
  });
});
