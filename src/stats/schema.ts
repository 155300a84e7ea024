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

/** One box type's boxes in one packing, as sums (a missing value adds nothing). */
export const boxTypeSumsSchema = z.object({
  volumeUtilizationSum: amount.describe("sum of the boxes' `volumeUtilization`"),
  volumeUtilizationCount: count.describe('boxes that reported a `volumeUtilization`'),
  totalCost: amount.describe("sum of the boxes' `price`, in cents"),
});

/**
 * Per-request statistics: the body of `POST /`, the `X-Pacproxy-Stats` header and the payload of
 * a pack event. The cost and packing-quality fields default when absent: events written by
 * versions before them (still in a Redis or an outbox at upgrade) count as answers without them.
 */
export const packStatsSchema = z.object({
  usedKeystem: z
    .string()
    .min(1)
    .max(200)
    .describe(
      "the facility's keystem: Paccurate's `usedKeyStem`, else the one last seen for the API key, else `unknown`",
    ),
  totalItems: count.describe("items packed (Paccurate's `lenItems`)"),
  totalVolume: amount.describe(
    "volume of the items packed (Paccurate's `totalVolume`, in the request's units cubed)",
  ),
  volumeUtilization: amount.describe(
    "fraction of the boxes' volume used, 0 to 1 (Paccurate's `totalVolumeUtilization`)",
  ),
  boxTypes: z
    .preprocess(protoSafe, z.record(z.string(), count))
    .describe('box `refId` → number of boxes of that type in this packing'),
  timeStamp: z.string().min(1).max(64).describe('ISO 8601, when the proxy forwarded the request'),
  cacheHit: z.boolean().describe('answered from the request cache, without calling Paccurate'),
  requestError: z
    .boolean()
    .describe('the request did not get through (refused by the proxy, Paccurate unreachable or too slow)'),
  errorResponse: z.boolean().describe('Paccurate answered with an error status'),
  statusCode: z
    .string()
    .regex(/^\d{1,3}$/)
    .describe('HTTP status of Paccurate\'s answer as a string; "0" when no answer came'),
  latency: amount.describe("Paccurate's round trip in nanoseconds (0 when none was made)"),
  totalCost: amount
    .nullable()
    .default(null)
    .describe("cents: Paccurate's `totalCost`; null when the answer carried none"),
  boxes: count.default(0).describe("boxes used (Paccurate's `lenBoxes`)"),
  leftovers: count.default(0).describe("items that fit in no box (Paccurate's `lenLeftovers`)"),
  totalWeight: amount
    .default(0)
    .describe("Paccurate's `totalWeight`, boxes' tare included, in the request's weight unit"),
  packTime: amount
    .nullable()
    .default(null)
    .describe('seconds Paccurate took to pack (its `packTime`); null when the answer carried none'),
  boxTypeStats: z
    .preprocess(protoSafe, z.record(z.string(), boxTypeSumsSchema))
    .default({})
    .describe("per box `refId` (keyed like `boxTypes`): sums over this packing's boxes of that type"),
  boxTypeChoiceGoalUsed: z
    .string()
    .min(1)
    .max(64)
    .nullable()
    .default(null)
    .describe("Paccurate's `boxTypeChoiceGoalUsed` (e.g. lowest-cost); null when the answer carried none"),
  warnings: count.default(0).describe("how many warnings Paccurate's answer carried"),
});

/**
 * What is wrong with `stats` by packStatsSchema, as one line (issuesOf), or null when nothing
 * is. The proxy asks this of every answer it records, so values as it makes them are checked by
 * hand first (fitsPackStats): zod's parse was the largest cost of the proxy's own on the pack
 * path (issue 20). The schema still has the last word: it is asked whenever the hand check says no.
 */
export function packStatsIssues(stats: PackStatsInput): string | null {
  if (fitsPackStats(stats)) return null;
  const checked = packStatsSchema.safeParse(stats);
  return checked.success ? null : issuesOf(checked.error);
}

type PackStatsInput = z.input<typeof packStatsSchema>;

/**
 * Whether `value` passes packStatsSchema, when it is made of plain objects with every field set
 * (as the proxy makes stats). A true is always the schema's answer (test/stats/schema.test.ts
 * holds the two together); a false may not be: defaults and odd objects are left to the schema.
 */
export function fitsPackStats(value: unknown): boolean {
  if (!isPlainRecord(value)) return false;
  const s = value as Record<keyof PackStatsInput, unknown>;
  return (
    isText(s.usedKeystem, 200) &&
    isCount(s.totalItems) &&
    isAmount(s.totalVolume) &&
    isAmount(s.volumeUtilization) &&
    everyValue(s.boxTypes, isCount) &&
    isText(s.timeStamp, 64) &&
    typeof s.cacheHit === 'boolean' &&
    typeof s.requestError === 'boolean' &&
    typeof s.errorResponse === 'boolean' &&
    typeof s.statusCode === 'string' &&
    STATUS_CODE.test(s.statusCode) &&
    isAmount(s.latency) &&
    (s.totalCost === null || isAmount(s.totalCost)) &&
    isCount(s.boxes) &&
    isCount(s.leftovers) &&
    isAmount(s.totalWeight) &&
    (s.packTime === null || isAmount(s.packTime)) &&
    everyValue(s.boxTypeStats, isBoxTypeSums) &&
    (s.boxTypeChoiceGoalUsed === null || isText(s.boxTypeChoiceGoalUsed, 64)) &&
    isCount(s.warnings)
  );
}

const STATUS_CODE = /^\d{1,3}$/;

/** z.number().int().nonnegative().max(MAX_COUNT) */
function isCount(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_COUNT;
}

/** z.number().nonnegative().max(MAX_AMOUNT) (NaN fails both comparisons) */
function isAmount(v: unknown): boolean {
  return typeof v === 'number' && v >= 0 && v <= MAX_AMOUNT;
}

/** z.string().min(1).max(max) */
function isText(v: unknown, max: number): boolean {
  return typeof v === 'string' && v.length >= 1 && v.length <= max;
}

function isBoxTypeSums(v: unknown): boolean {
  if (!isPlainRecord(v)) return false;
  return isAmount(v.volumeUtilizationSum) && isCount(v.volumeUtilizationCount) && isAmount(v.totalCost);
}

/** An object literal's kind of object: what zod's object and record take as they are. */
function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
}

/** A record whose own keys are all strings and whose values all pass `check`. */
function everyValue(v: unknown, check: (value: unknown) => boolean): boolean {
  if (!isPlainRecord(v)) return false;
  for (const key of Reflect.ownKeys(v)) {
    if (typeof key !== 'string' || !check(v[key])) return false;
  }
  return true;
}

/** The first problems of a value that fails a schema, as one line. */
export function issuesOf(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`)
    .join('; ');
}
