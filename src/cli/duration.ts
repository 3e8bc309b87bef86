import { CALENDAR_DURATION, parseDuration } from '../duration.ts';
import { InputError } from '../errors.ts';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

const DURATION_FORMAT = 'a duration such as 90d, 24h, 30m or 1h30m (units s, m, h, d, w)';
const DATE_FORMAT = 'an ISO 8601 date such as 2025-01-31 or 2025-01-31T12:00:00Z';

/** A flag's `90d`, `24h`, `30m`, `1h30m` (units s m h d w) in milliseconds; positive. */
export function parseDurationFlag(value: string, flag = 'duration'): number {
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
  return parseDuration(text, CALENDAR_DURATION);
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
