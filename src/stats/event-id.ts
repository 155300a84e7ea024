import { randomUUID } from 'node:crypto';

/**
 * A new event id: a UUIDv7 (RFC 9562), its first 48 bits the Unix time in milliseconds, the
 * rest random. Time-ordered ids matter to the store: each flush inserts its events' ids into the
 * ledger's B-tree, and ids of the same moment land side by side on a few pages, where random
 * (v4) ids would touch, and rewrite, one page per id.
 * The random bits come from `randomUUID` (its entropy is pooled, so this stays cheap); its
 * variant bits are already RFC 9562's.
 */
export function newEventId(now: number = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
