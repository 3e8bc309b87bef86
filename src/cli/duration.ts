import { InputError } from '../errors.ts';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(?:\d+[smhdw])+$/;
const DURATION_PART = /(\d+)([smhdw])/g;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

const DURATION_FORMAT = 'a duration such as 90d, 24h, 30m or 1h30m (units s, m, h, d, w)';
const DATE_FORMAT = 'an ISO 8601 date such as 2025-01-31 or 2025-01-31T12:00:00Z';

/** `90d`, `24h`, `30m`, `1h30m` (units s m h d w) in milliseconds; positive. */
export function parseDuration(value: string, flag = 'duration'): number {
  const ms = durationMs(value.trim());
  if (ms === undefined) throw new InputError(`Invalid ${flag} '${value}'. Expected ${DURATION_FORMAT}.`);
  if (ms === 0) throw new InputError(`Invalid ${flag} '${value}'. Expected a duration longer than zero, such as 90d.`);
  return ms;
}

/**
 * A point in time given either as a duration back from `now` (`--since 24h`) or as an ISO 8601 date
 * (`--since 2025-01-31`). A date without a time is midnight UTC, and a time without an offset is UTC, so
 * the same command means the same window on every machine.
 */
export function parseTimeBound(value: string, now: Date, flag = 'time'): Date {
  const text = value.trim();
  const ms = durationMs(text);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  const date = isoDate(text);
  if (date !== undefined) return date;
  throw new InputError(`Invalid ${flag} '${value}'. Expected ${DURATION_FORMAT} (meaning that long ago), or ${DATE_FORMAT}.`);
}

function durationMs(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

function isoDate(text: string): Date | undefined {
  const match = ISO_DATE.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  const zone = match[7];
  const normalized = text.replace(' ', 'T') + (hour === undefined ? 'T00:00:00Z' : zone === undefined ? 'Z' : '');
  const date = new Date(normalized);
  if (Number.isNaN(date.getTime())) return undefined;
  // Date accepts 2025-02-30 as 2 March; a date that does not exist is a typo, not a wish.
  const check = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (check.getUTCMonth() !== Number(month) - 1 || check.getUTCDate() !== Number(day)) return undefined;
  if (Number(hour ?? 0) > 23 || Number(minute ?? 0) > 59 || Number(second ?? 0) > 59) return undefined;
  return date;
}
