import { describe, expect, it } from '@jest/globals';
import { LineSplitter, normalizeLine } from '../../../src/logs/log-normalizer.ts';

function split(chunks: string[], maxLineLength = 100): Array<[string, boolean]> {
  const lines: Array<[string, boolean]> = [];
  const splitter = new LineSplitter(maxLineLength, (raw, truncated) => lines.push([raw, truncated]));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

describe('normalizeLine', () => {
  it('drops the Actions runner timestamp', () => {
    expect(normalizeLine('2024-05-01T12:00:00.1234567Z npm test').text).toBe('npm test');
    expect(normalizeLine('2024-05-01T12:00:00Z done').text).toBe('done');
  });

  it('keeps a date that is part of the message', () => {
    expect(normalizeLine('released on 2024-05-01T12:00:00Z to prod').text).toBe('released on 2024-05-01T12:00:00Z to prod');
  });

  it('reads ##[group] and ##[endgroup] as markers', () => {
    expect(normalizeLine('2024-05-01T12:00:00.1234567Z ##[group]Run npm test')).toEqual({ text: 'Run npm test', marker: 'group-start' });
    expect(normalizeLine('##[endgroup]')).toEqual({ text: '', marker: 'group-end' });
  });

  it('reads ##[error], ##[warning] and ##[notice] as annotations', () => {
    expect(normalizeLine('2024-05-01T12:00:00.1234567Z ##[error]Process completed with exit code 1.')).toEqual({
      text: 'Process completed with exit code 1.',
      annotation: 'error',
    });
    expect(normalizeLine('##[warning]Node 16 is deprecated').annotation).toBe('warning');
    expect(normalizeLine('##[notice]Cache restored').annotation).toBe('notice');
  });

  it('reads ::error workflow commands with their location and unescapes the message', () => {
    expect(normalizeLine('::error file=src/app.ts,line=12,col=5::Type %27x%27 is not assignable%0Ato number')).toEqual({
      text: 'src/app.ts:12:5: Type %27x%27 is not assignable to number',
      annotation: 'error',
      location: { file: 'src/app.ts', line: 12, column: 5 },
    });
    expect(normalizeLine('::warning::100%25 of budget used')).toEqual({ text: '100% of budget used', annotation: 'warning' });
  });

  it('never shows an add-mask value', () => {
    expect(normalizeLine('::add-mask::s3cr3t-value').text).toBe('');
  });

  it('drops Travis fold and timing markers, keeping what follows them', () => {
    expect(normalizeLine('travis_fold:start:install\r\x1b[0K$ npm ci').text).toBe('$ npm ci');
    expect(normalizeLine('travis_time:end:0ca0:start=1,finish=2,duration=1\r\x1b[0K').text).toBe('');
    expect(normalizeLine('travis_fold:end:install').text).toBe('');
  });

  it('strips ANSI colours and erase codes', () => {
    expect(normalizeLine('\x1b[31;1mThe command "make" exited with 2.\x1b[0m\x1b[0K').text).toBe('The command "make" exited with 2.');
  });

  it('shows the last non-empty segment of carriage-return progress output', () => {
    expect(normalizeLine('a\rb\rc').text).toBe('c');
    expect(normalizeLine('\r').text).toBe('');
    expect(normalizeLine('\rdone\r \r').text).toBe('done');
    expect(normalizeLine('x\r\r').text).toBe('x');
    expect(normalizeLine('a\rtravis_fold:end:x\r').text).toBe('a');
    expect(normalizeLine('10%\r50%\r100%\r').text).toBe('100%');
    expect(normalizeLine('error: disk full\r\n').text).toBe('error: disk full');
  });

  it('removes NUL bytes and a byte order mark', () => {
    expect(normalizeLine('\ufeffhello\0 wor\0ld').text).toBe('hello world');
  });
});

describe('LineSplitter', () => {
  it('splits on \\n across chunk boundaries, numbering like the original file', () => {
    expect(split(['ab', 'c\nde', 'f\n', 'g'])).toEqual([['abc', false], ['def', false], ['g', false]]);
  });

  it('keeps CRs in the raw line, so CRLF and lone-CR lines do not shift line numbers', () => {
    expect(split(['one\r\ntwo\rtwo-b\r\nthree\n']).map(([raw]) => raw)).toEqual(['one\r', 'two\rtwo-b\r', 'three']);
  });

  it('has no extra line after a final newline, and counts a last line without one', () => {
    expect(split(['a\nb\n'])).toHaveLength(2);
    expect(split(['a\nb'])).toHaveLength(2);
    expect(split([''])).toHaveLength(0);
    expect(split(['\n'])).toEqual([['', false]]);
  });

  it('cuts long lines, also when they arrive in many chunks, and flags them', () => {
    const pieces = Array.from({ length: 50 }, () => 'x'.repeat(1000));
    const lines = split([...pieces, '\nshort\n'], 2000);
    expect(lines).toEqual([['x'.repeat(2000), true], ['short', false]]);
    // A cut inside a token-like run ends in the cut mark, so the redactor can tell a cut token from a short one.
    expect(split(['y'.repeat(5000) + '\nz'], 10)).toEqual([[`${'y'.repeat(9)}…`, true], ['z', false]]);
    expect(split(['word '.repeat(1000) + '\nz'], 10)).toEqual([['word word ', true], ['z', false]]);
  });

  it('does not split a surrogate pair when cutting', () => {
    const [[raw]] = split(['a😀b\n'], 2) as [[string, boolean]];
    expect(raw).toBe('a');
  });
});
