import { z } from 'zod';
import { newEventId } from '../../src/stats/event-id';

/** The first 48 bits of a UUIDv7: milliseconds since the epoch. */
const eventIdTime = (id: string): number => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

describe('newEventId', () => {
  it('is a UUIDv7: version 7, RFC 9562 variant, a valid UUID', () => {
    const id = newEventId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(z.uuid().safeParse(id).success).toBe(true);
  });

  it('carries the millisecond it was made in', () => {
    const at = Date.parse('2026-11-26T17:30:00.123Z');
    expect(eventIdTime(newEventId(at))).toBe(at);
    expect(eventIdTime(newEventId(0))).toBe(0);
  });

  it('sorts by time across milliseconds, so a flush’s ids sit together in the ledger', () => {
    const at = Date.now();
    const ids = [at + 2, at, at + 1, at + 1000].map((t) => newEventId(t));
    expect([...ids].sort()).toEqual([ids[1], ids[2], ids[0], ids[3]]);
  });

  it('is unique within one millisecond', () => {
    const at = Date.now();
    const ids = new Set(Array.from({ length: 10_000 }, () => newEventId(at)));
    expect(ids.size).toBe(10_000);
  });
});
