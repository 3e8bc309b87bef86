import { z } from 'zod';
import { InvalidCursorError } from './errors.ts';

/**
 * Keyset position in the audit log, newest first: the (time, id) of the last row of a page. The time
 * travels as PostgreSQL's own text rendering so microseconds survive the round trip (a JavaScript Date
 * would truncate them and skip or repeat rows).
 */
export interface AuditPosition {
  time: string;
  id: string;
}

const Position = z.object({
  v: z.literal(1),
  t: z.string().regex(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2}){0,2}|Z)$/),
  i: z.string().regex(/^\d{1,19}$/),
});

export function encodeCursor(position: AuditPosition): string {
  return Buffer.from(JSON.stringify({ v: 1, t: position.time, i: position.id })).toString('base64url');
}

export function decodeCursor(cursor: string): AuditPosition {
  let value: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = Position.safeParse(value);
  if (!parsed.success) {
    throw new InvalidCursorError(`Invalid cursor '${cursor.slice(0, 80)}'. Expected the 'next cursor' printed by a previous page of the same listing.`);
  }
  return { time: parsed.data.t, id: parsed.data.i };
}
