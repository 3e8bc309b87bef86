import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor } from '../../../src/store/cursor.ts';
import { InvalidCursorError } from '../../../src/store/errors.ts';

describe('audit cursor', () => {
  it('round-trips a position with microseconds, as opaque base64url', () => {
    const position = { time: '2025-03-01 10:00:00.123456+00', id: '9007199254740993' };
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it.each(['', 'garbage!', Buffer.from('{"v":2,"t":"2025-03-01 10:00:00+00","i":"1"}').toString('base64url'), Buffer.from('{"v":1,"t":"2025-03-01 10:00:00+00","i":"1; drop"}').toString('base64url')])(
    'rejects %j, saying what a cursor is',
    (cursor) => {
      expect(() => decodeCursor(cursor)).toThrow(InvalidCursorError);
      expect(() => decodeCursor(cursor)).toThrow(/Expected the 'next cursor' printed by a previous page/);
    },
  );
});
