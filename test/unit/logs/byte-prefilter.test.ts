import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { ACCEPT, LineVerdicts, classifyLinePair, classifyLines, compileBytePrefilter, prefilterMatches } from '../../../src/logs/byte-prefilter.ts';
import { PREFILTER_PATTERNS, PREFILTER_REGEX, SIGNAL_PATTERNS, prefilterDfa } from '../../../src/logs/signal-patterns.ts';
import { seededRandom } from '../../support/random.ts';

const reference = new RegExp(PREFILTER_PATTERNS.map((source) => `(?:${source})`).join('|'), 'i');
const bytesMatch = (line: string) => prefilterMatches(prefilterDfa(), Buffer.from(line, 'utf8'));

function corpusLines(): string[] {
  const lines: string[] = [];
  for (const dir of ['../../fixtures/logs/', '../../../examples/logs/']) {
    const url = new URL(dir, import.meta.url);
    for (const name of readdirSync(url)) {
      if (!name.endsWith('.log')) continue;
      lines.push(...readFileSync(new URL(name, url), 'utf8').split('\n'));
    }
  }
  return lines;
}

const TRICKY = [
  'error', 'ERROR', 'Error:', 'eRrOr', 'errors were found', 'npm ERR! code E404', 'FAIL src/a.test.ts', 'fatal: not a git repository',
  'thread panicked at', 'Traceback (most recent call last):', 'Aborted (core dumped)', 'assertEquals', 'Expected: 90',
  'The command "make" exited with 2.', 'exit code 1', 'exit status 2', 'EXIT CODE 3', 'exit  code 1', 'non-zero', 'nonzero',
  '*** FAILED ***', '** BUILD FAILED **', ' ** x', '**x', 'x ** y', 'm** y', 'not found', 'NOT INSTALLED', 'not ok 3', 'not  found',
  'no such file', "can't open", 'can’t open', 'cant open', 'couldn’t resolve', "couldn't", 'could not', 'unable to',
  'denied', 'refused', 'unreachable', 'timed out', 'timeout', 'exceeded', 'canceled', 'cancelled', 'cancel', 'segmentation',
  'killed', 'out of memory', 'undefined', 'unexpected', 'invalid', 'missing', 'broken', 'rate limit', 'rate-limit',
  'ratelimit', 'rate_limit', 'RateLimit', 'rate:limit', 'toomanyrequests', 'went wrong', 'violation', 'offence', 'offense',
  'problem ', 'problems ', 'problem', 'reformat', 'diff --git a/x b/x', 'xdiff --git ', 'mdiff --git ', '--- a/file', ' --- a/file',
  'no output has been received', '  1) test', '1) test', 'a1) b', 'x 12) y', '12)x', '___ test ___', '__ x', ' ___ x', 'E   assert',
  'E  x', 'E x', 'xE  x', 'mE  x', 'Failure:', 'Error:', 'Failure: ', 'failure:\r', ' failure:', 'xfailure:', '[0mFailure:',
  'src/a.c:12:3: warning', 'a.c:1:', 'x:a.c:1:', 'm:a.c:1:', 'xm:a.c:1:', 'foo.rs:10', 'http://a.b:80:', 'a.B1:2:', '.c:1:',
  ' .c:1:', 'x.c:1:2', 'x.c:a:', 'x.:1:', '● Cart › applies', '●x', '✕ test', '✖', '✗', '✘', '× 2', '×2', '❌', '✓ ok',
  '$ npm test', '$npm', '##[group]Run npm test', '##[GROUP]run x', '##[command]/usr/bin/git', '##[group]Runner', 'all good',
  'ok 1 - passes', '2024-05-01T12:00:00.1234567Z \x1b[31merror\x1b[0m', '\x1b[1mE  x', '\0\0error\0', 'é ERROR ü', 'ÉRROR',
  '日本語のエラー', 'Kelvin \u212a', 'ſ', '\ufffd\ufffd', 'error'.toUpperCase().split('').join('\u00ad'), 'failing', 'FAILED',
];

describe('byte prefilter', () => {
  it('selects exactly the lines the regex built from the same patterns selects', () => {
    const lines = [...corpusLines(), ...TRICKY];
    expect(lines.length).toBeGreaterThan(500);
    const disagree = lines.filter((line) => bytesMatch(line) !== reference.test(line));
    expect(disagree).toEqual([]);
  });

  it('agrees with the regex on random lines built from pattern fragments', () => {
    const pieces = ['err', 'or', 'fail', ' ', ':', '1', '.c', 'm', 'E', '_', '*', ')', '\r', 'é', '×', '●', '$', 'a', '-', '/', '\0', "'", '’'];
    const random = seededRandom(42);
    const disagree: string[] = [];
    for (let k = 0; k < 20000; k++) {
      let line = '';
      for (let n = random(9); n > 0; n--) line += pieces[random(pieces.length)];
      if (bytesMatch(line) !== reference.test(line)) disagree.push(line);
    }
    expect(disagree).toEqual([]);
  });

  it('is the documented patterns: the signal patterns plus the step starts', () => {
    expect(PREFILTER_PATTERNS.slice(0, SIGNAL_PATTERNS.length)).toEqual(SIGNAL_PATTERNS);
    expect(PREFILTER_REGEX.source).toBe(reference.source);
  });

  it('handles `$` at the end of the line only, and reports a \\n inside the range as its end', () => {
    const dfa = compileBytePrefilter(['(failure|error):$']);
    expect(prefilterMatches(dfa, Buffer.from('Failure:'))).toBe(true);
    expect(prefilterMatches(dfa, Buffer.from('Failure: x'))).toBe(false);
    expect(prefilterMatches(dfa, Buffer.from('error:\nmore'))).toBe(true);
  });

  it('rejects syntax whose meaning differs between bytes and characters', () => {
    expect(() => compileBytePrefilter(['can.t'])).toThrow(/unescaped \./);
    expect(() => compileBytePrefilter(['[é]'])).toThrow(/non-ASCII/);
    expect(() => compileBytePrefilter(['\\d'])).toThrow(/escape classes/);
  });

  it('classifies blocks of lines, one or two at a time, as it judges each line alone', () => {
    const max = 40;
    const lines = [...corpusLines().slice(0, 400), ...TRICKY, 'x'.repeat(39) + 'error', 'x'.repeat(34) + 'error:', 'x'.repeat(35) + 'Failure:', '', 'e'.repeat(100)];
    const buf = Buffer.from(lines.join('\n') + '\n');
    const dfa = prefilterDfa();
    // A line of up to `max` bytes is judged whole (`$` at its end); of a longer one, a match in its first bytes counts.
    const expected = lines.map((line) => {
      const bytes = Buffer.from(line);
      return bytes.length <= max ? prefilterMatches(dfa, bytes) : matchesWithin(bytes.subarray(0, max));
    });
    const single = new LineVerdicts();
    classifyLines(dfa, buf, 0, 0, dfa.start, buf.length, max, single);
    const split = buf.indexOf(10, buf.length >> 1) + 1;
    const first = new LineVerdicts();
    const second = new LineVerdicts();
    classifyLinePair(dfa, buf, 0, split, split, buf.length, max, first, second);
    const flags = (v: LineVerdicts) => Array.from(v.matched.subarray(0, v.count), (m) => m === 1);
    expect(single.count).toBe(lines.length);
    expect(flags(single)).toEqual(expected);
    expect([...flags(first), ...flags(second)]).toEqual(expected);
    expect([...first.ends.subarray(0, first.count), ...second.ends.subarray(0, second.count)]).toEqual([...single.ends.subarray(0, single.count)]);
  });
});

/** Whether some pattern matches inside these bytes without needing the end of the line. */
function matchesWithin(bytes: Buffer): boolean {
  const dfa = prefilterDfa();
  let state = dfa.start;
  for (const byte of bytes) {
    state = dfa.next(state, byte);
    if (state === ACCEPT) return true;
  }
  return false;
}
