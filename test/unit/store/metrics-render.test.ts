// Tests the text rendering of src/cli/commands/metrics.ts.
import { describe, expect, it } from '@jest/globals';
import { formatMs } from '../../../src/cli/commands/metrics.ts';

describe('formatMs', () => {
  it.each([
    [null, '-'],
    [850, '850ms'],
    [12_345, '12.3s'],
    [245_000, '4m05s'],
    [7_380_000, '2h03m'],
    [100_800_000, '1d04h'],
  ])('%p -> %s', (ms, text) => expect(formatMs(ms)).toBe(text));
});
