// Tests src/cli/duration.ts (owned with the store commands, which are its first users).
import { describe, expect, it } from '@jest/globals';
import { parseDurationFlag, parseTimeBound } from '../../../src/cli/duration.ts';
import { InputError } from '../../../src/errors.ts';

const NOW = new Date('2025-06-01T00:00:00Z');

describe('parseDurationFlag', () => {
  it.each([
    ['90d', 90 * 86_400_000],
    ['24h', 86_400_000],
    ['30m', 1_800_000],
    ['45s', 45_000],
    ['2w', 14 * 86_400_000],
    ['1h30m', 5_400_000],
  ])('%s', (text, ms) => expect(parseDurationFlag(text)).toBe(ms));

  it.each(['', '90', 'd', '1.5h', '90 days', '-1d', '1y'])('refuses %j naming the value and the format', (text) => {
    expect(() => parseDurationFlag(text, '--older-than')).toThrow(InputError);
    expect(() => parseDurationFlag(text, '--older-than')).toThrow(`Invalid --older-than '${text}'. Expected a duration such as 90d, 24h, 30m or 1h30m`);
  });

  it('refuses zero', () => expect(() => parseDurationFlag('0d')).toThrow(/longer than zero/));
});

describe('parseTimeBound', () => {
  it.each([
    ['24h', '2025-05-31T00:00:00.000Z'],
    ['2025-01-31', '2025-01-31T00:00:00.000Z'],
    ['2025-01-31T12:30', '2025-01-31T12:30:00.000Z'],
    ['2025-01-31T12:30:15.5Z', '2025-01-31T12:30:15.500Z'],
    ['2025-01-31T12:30:00+02:00', '2025-01-31T10:30:00.000Z'],
  ])('%s', (text, iso) => expect(parseTimeBound(text, NOW).toISOString()).toBe(iso));

  it.each(['yesterday', '2025-02-30', '2025-13-01', '2025-01-31T24:00Z', '31/01/2025'])('refuses %j', (text) => {
    expect(() => parseTimeBound(text, NOW, '--since')).toThrow(
      `Invalid --since '${text}'. Expected a duration such as 90d, 24h, 30m or 1h30m (units s, m, h, d, w) (meaning that long ago), or an ISO 8601 date such as 2025-01-31 or 2025-01-31T12:00:00Z.`,
    );
  });
});
