import { describe, expect, it } from '@jest/globals';
import { scoreLine } from '../../../src/logs/signal-patterns.ts';
import { seededRandom } from '../../support/random.ts';

// The form the test-failure rule had: correct, but quadratic on long lines that do not match.
const ORIGINAL = /\S.*(?:\s|:|\.{3})(?:FAIL|FAILED|FAILURE|ERROR)(?: \([\d.]+ ?m?s\))?$/;

describe('the trailing FAIL/ERROR rule', () => {
  it('checks the line end first only where the original form cannot match otherwise', () => {
    const pieces = ['a', ' ', ':', '...', 'FAIL', 'FAILED', 'FAILURE', 'ERROR', ' (1.5 ms)', ' (2s)', 'x', 'fail'];
    let seed = 7;
    const random = (n: number) => {
      // xorshift32: the low bits of a power-of-two LCG repeat too soon for `% n`.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    let matched = 0;
    for (let k = 0; k < 20000; k++) {
      let text = 'build';
      for (let n = random(7); n > 0; n--) text += pieces[random(pieces.length)];
      if (!ORIGINAL.test(text)) continue;
      matched++;
      expect(/[LDER]$|s\)$/.test(text.slice(-2))).toBe(true);
      expect(scoreLine({ text })).not.toBeNull();
    }
    expect(matched).toBeGreaterThan(1000);
  });

  it('matches where the original did, on the regex alone', () => {
    const rule = /\S[^\S\n\r\u2028\u2029]*(?:\s|:|\.{3})(?:FAIL|FAILED|FAILURE|ERROR)(?: \([\d.]+ ?m?s\))?$/;
    const pieces = ['a', ' ', '\t', ':', '.', '...', 'FAIL', 'FAILED', 'FAILURE', 'ERROR', ' (1.5 ms)', '\u2028', '\n', '\r', 'x'];
    const random = seededRandom(11);
    const disagree: string[] = [];
    for (let k = 0; k < 50000; k++) {
      let text = '';
      for (let n = random(8); n > 0; n--) text += pieces[random(pieces.length)];
      if (rule.test(text) !== ORIGINAL.test(text)) disagree.push(text);
    }
    expect(disagree).toEqual([]);
  });

  it('stays fast on a long line that does not match', () => {
    const text = `${'word '.repeat(400)}done`;
    const started = performance.now();
    for (let i = 0; i < 200; i++) scoreLine({ text });
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
