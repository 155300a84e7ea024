import { z } from 'zod';
import { sanitizeKey } from './keys';

/**
 * The one validation of a request's statistics, applied on both sides: the proxy checks what it
 * is about to record (an upstream answer whose numbers do not fit is refused with 502, so
 * nothing answered is dead-lettered for its content) and the worker decodes every event with it.
 * The bounds keep every stored sum exact and far from SQLite's 64-bit integer limit.
 */

/** Most items (or boxes of one type) one request may report: far above any real packing. */
export const MAX_COUNT = 1_000_000_000;
/** Largest volume, utilization or latency (ns) one request may report. */
export const MAX_AMOUNT = 1e18;

export const KEYSTEM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Whether `value` is a keystem: what GET and DELETE /api/keydata/{keystem} accept, so every
 * stored keystem can be read and deleted ("all" names the summary, never a keystem).
 */
export function isKeystem(value: unknown): value is string {
  return typeof value === 'string' && KEYSTEM_PATTERN.test(value) && value !== 'all';
}

const count = z.number().int().nonnegative().max(MAX_COUNT);

/**
 * A map whose `__proto__` key is renamed as the stores keep it: zod's record would drop it
 * silently (its output is a plain object), and the request would be counted without its boxes.
 * The proxy sanitises refIds already; this covers events queued by an earlier version.
 */
function protoSafe(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !Object.hasOwn(value, '__proto__')) return value;
  const entries = Object.entries(value).map(([k, v]) => [k === '__proto__' ? sanitizeKey(k) : k, v]);
  return Object.fromEntries(entries);
}
const amount = z.number().nonnegative().max(MAX_AMOUNT);

export const packStatsSchema = z.object({
  usedKeystem: z.string().min(1).max(200),
  totalItems: count,
  totalVolume: amount,
  volumeUtilization: amount,
  boxTypes: z.preprocess(protoSafe, z.record(z.string(), count)),
  timeStamp: z.string().min(1).max(64),
  cacheHit: z.boolean(),
  requestError: z.boolean(),
  errorResponse: z.boolean(),
  statusCode: z.string().regex(/^\d{1,3}$/),
  latency: amount,
});

/** The first problems of a value that fails a schema, as one line. */
export function issuesOf(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`)
    .join('; ');
}
