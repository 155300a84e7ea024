import { sanitizeKey } from './keys';
import { OTHER_BOX_TYPES } from './paccurate';
import type { MaxLatency, PackEvent, PackStats, StatsEvent, Totals } from './types';

/**
 * The pure arithmetic of a flush: a batch of new events (already filtered by the ledger) and
 * each keystem's last stored reset in, per-aggregate increments out. Stores only persist what
 * this computes, so every backend counts the same way.
 */

/** The fields of Totals that are plain sums (stores add them; the maps and maxLatency differ). */
export const SUM_FIELDS = [
  'totalItems',
  'totalVolume',
  'packs',
  'sumVolumeUtilization',
  'totalRequests',
  'requestErrorCount',
  'errorResponseCount',
  'cacheHits',
  'latencySum',
  'latencyCount',
  'totalCost',
  'costedPacks',
  'totalBoxes',
  'totalLeftovers',
  'packsWithLeftovers',
  'totalWeight',
  'packTimeSum',
  'packTimeCount',
  'packsWithWarnings',
] as const satisfies readonly (keyof Totals)[];

export type SumField = (typeof SUM_FIELDS)[number];

/** Just the plain sums of a row, document or Totals (0 for a missing one). */
export function sumsOf(source: Partial<Record<SumField, number>>): Record<SumField, number> {
  const sums = {} as Record<SumField, number>;
  for (const f of SUM_FIELDS) sums[f] = source[f] ?? 0; // a loop: this runs per aggregate per flush
  return sums;
}

/** The maps of Totals, counted per key. */
export const MAP_FIELDS = [
  'statusCodes',
  'boxTypes',
  'choiceGoals',
  'boxTypeUtilizationSum',
  'boxTypeUtilizationCount',
  'boxTypeCost',
] as const satisfies readonly (keyof Totals)[];

export type MapField = (typeof MAP_FIELDS)[number];

/** Every map of Totals, empty. */
export function emptyMaps(): Pick<Totals, MapField> {
  const maps = {} as Pick<Totals, MapField>;
  for (const m of MAP_FIELDS) maps[m] = {};
  return maps;
}

/** The sums of an empty Totals, made once: cloning a ready object is V8's fast copy. */
const ZERO_SUMS = sumsOf({});

/** An empty Totals (a history read makes one per point: this is ~8x faster than spreading parts). */
export function emptyTotals(): Totals {
  const totals = { ...ZERO_SUMS } as Totals;
  for (const m of MAP_FIELDS) totals[m] = {};
  totals.maxLatency = { latency: 0, timeStamp: '' };
  return totals;
}

/**
 * Whether `a` beats `b` as the max latency: by latency, then by timestamp. This is how MongoDB's
 * `$max` orders `{latency, timeStamp}` documents, and the SQLite store compares the same pair.
 */
export function ranksAbove(a: MaxLatency, b: MaxLatency): boolean {
  return a.latency > b.latency || (a.latency === b.latency && a.timeStamp > b.timeStamp);
}

/**
 * A 2xx answer that arrived and was a packing: the denominator of the per-pack averages.
 * (A 2xx that was not Paccurate's JSON is flagged errorResponse and carries no packing.)
 */
export function carriedPacking(stats: PackStats): boolean {
  return !stats.requestError && !stats.errorResponse && /^2\d\d$/.test(stats.statusCode);
}

/**
 * Whether the request's latency measures a round trip to Paccurate: not a cache hit, and not a
 * request refused before it was forwarded (those are recorded with latency 0).
 */
export function measuredRoundTrip(stats: PackStats): boolean {
  return !stats.cacheHit && stats.latency > 0;
}

function addCount(map: Record<string, number>, key: string, n: number): void {
  const k = sanitizeKey(key);
  map[k] = (Object.hasOwn(map, k) ? (map[k] ?? 0) : 0) + n;
}

/** Cost and packing quality of one packing: a value the answer did not carry adds nothing. */
function addPackingQuality(totals: Totals, stats: PackStats): void {
  if (stats.totalCost !== null) {
    totals.totalCost += stats.totalCost;
    totals.costedPacks += 1;
  }
  if (stats.packTime !== null) {
    totals.packTimeSum += stats.packTime;
    totals.packTimeCount += 1;
  }
  totals.totalBoxes += stats.boxes;
  totals.totalLeftovers += stats.leftovers;
  if (stats.leftovers > 0) totals.packsWithLeftovers += 1;
  totals.totalWeight += stats.totalWeight;
  if (stats.warnings > 0) totals.packsWithWarnings += 1;
  if (stats.boxTypeChoiceGoalUsed !== null) addCount(totals.choiceGoals, stats.boxTypeChoiceGoalUsed, 1);
  for (const [refId, s] of Object.entries(stats.boxTypeStats)) {
    addCount(totals.boxTypeUtilizationSum, refId, s.volumeUtilizationSum);
    addCount(totals.boxTypeUtilizationCount, refId, s.volumeUtilizationCount);
    addCount(totals.boxTypeCost, refId, s.totalCost);
  }
}

/** Adds one request's statistics to running sums (mutates `totals`). */
export function addStats(totals: Totals, stats: PackStats): void {
  totals.totalRequests += 1;
  addCount(totals.statusCodes, stats.statusCode, 1);
  if (stats.requestError) totals.requestErrorCount += 1;
  if (stats.errorResponse) totals.errorResponseCount += 1;
  if (carriedPacking(stats)) {
    totals.packs += 1;
    totals.totalItems += stats.totalItems;
    totals.totalVolume += stats.totalVolume;
    totals.sumVolumeUtilization += stats.volumeUtilization;
    for (const [refId, n] of Object.entries(stats.boxTypes)) addCount(totals.boxTypes, refId, n);
    addPackingQuality(totals, stats);
  }
  if (stats.cacheHit) totals.cacheHits += 1;
  if (!measuredRoundTrip(stats)) return; // keep cache hits and refused requests out of avgLatency
  totals.latencySum += stats.latency;
  totals.latencyCount += 1;
  const candidate = { latency: stats.latency, timeStamp: stats.timeStamp };
  if (ranksAbove(candidate, totals.maxLatency)) totals.maxLatency = candidate;
}

export type Maps = Pick<Totals, MapField>;

/** Adds `delta`'s maps to `into`'s (own keys only: a key such as "toString" is data). */
function addMaps(into: Maps, delta: Maps): void {
  for (const m of MAP_FIELDS) {
    const target = into[m];
    const from = delta[m];
    for (const key of Object.keys(from)) {
      target[key] = (Object.hasOwn(target, key) ? (target[key] as number) : 0) + (from[key] as number);
    }
  }
}

/** Adds one Totals to another (sums, maps, max latency); answers whether `delta`'s max won. */
export function addTotals(into: Totals, delta: Totals): boolean {
  for (const f of SUM_FIELDS) into[f] += delta[f];
  addMaps(into, delta);
  if (!ranksAbove(delta.maxLatency, into.maxLatency)) return false;
  into.maxLatency = { ...delta.maxLatency };
  return true;
}

/** Which of a batch's new events take effect, given each keystem's last reset. */
export interface Admission {
  /** keystem → `at` of its latest reset in this batch, for resets newer than the stored one */
  resets: Map<string, number>;
  /** pack events at or after their keystem's latest reset (stored or in this batch), batch order */
  fresh: PackEvent[];
  /** resets whose effect is written, plus fresh pack events */
  applied: number;
  /** pack events older than their keystem's latest reset, and resets older than the stored one */
  stale: number;
}

/**
 * Orders a batch against resets by `at`, not by position: a reset forgets what was accepted
 * before it, wherever that sits in the batch, and keeps what was accepted after it.
 */
export function admit(events: readonly StatsEvent[], lastResets: ReadonlyMap<string, number>): Admission {
  const resets = new Map<string, number>();
  let applied = 0;
  let stale = 0;
  for (const e of events) {
    if (e.kind !== 'reset') continue;
    const latest = Math.max(lastResets.get(e.keystem) ?? -Infinity, resets.get(e.keystem) ?? -Infinity);
    if (e.at > (lastResets.get(e.keystem) ?? -Infinity)) applied += 1;
    else stale += 1;
    if (e.at > latest) resets.set(e.keystem, e.at);
  }
  const fresh: PackEvent[] = [];
  for (const e of events) {
    if (e.kind !== 'pack') continue;
    const resetAt = Math.max(lastResets.get(e.keystem) ?? -Infinity, resets.get(e.keystem) ?? -Infinity);
    if (e.at < resetAt) stale += 1;
    else fresh.push(e);
  }
  return { resets, fresh, applied: applied + fresh.length, stale };
}

/** Sums pack events per aggregate key: the keystem, or the keystem and the hour (history). */
export function sumBy(events: readonly PackEvent[], keyOf: (e: PackEvent) => string): Map<string, Totals> {
  const sums = new Map<string, Totals>();
  for (const e of events) {
    const key = keyOf(e);
    let totals = sums.get(key);
    if (!totals) sums.set(key, (totals = emptyTotals()));
    addStats(totals, e.stats);
  }
  return sums;
}

/** What to write for one keystem: increments, or (with `reset`) the new sums replacing the old. */
export interface AggregateUpdate {
  /** `at` of the reset this update performs: the store replaces the sums and records it */
  reset?: number;
  delta: Totals;
}

export const HOUR_MS = 3_600_000;

/** The UTC hour (ms since the epoch) an instant falls in. */
export function hourOf(at: number): number {
  return Math.floor(at / HOUR_MS) * HOUR_MS;
}

/** What to add to one keystem's history bucket: the hour its events were accepted in. */
export interface HourUpdate {
  keystem: string;
  /** ms since the epoch, the start of a UTC hour */
  hour: number;
  delta: Totals;
}

export interface Fold {
  /** per keystem; a reset here also clears the keystem's history before `hours` are added */
  updates: Map<string, AggregateUpdate>;
  /** per keystem and hour of acceptance (`at`), from the same fresh events as `updates` */
  hours: HourUpdate[];
  applied: number;
  stale: number;
}

/** How many box types a keystem keeps, and which it has stored (what the store reads first). */
export interface BoxTypeCap {
  /** BOX_TYPES_PER_KEYSTEM */
  max: number;
  /** keystem → the box type refIds it has stored (sanitised, as stored) */
  stored: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The four maps keyed by box type refId. */
const BOX_TYPE_MAPS = [
  'boxTypes',
  'boxTypeUtilizationSum',
  'boxTypeUtilizationCount',
  'boxTypeCost',
] as const;

/**
 * Keeps a keystem to `cap.max` box types: a refId it has not stored, once it holds that many, is
 * counted under OTHER_BOX_TYPES, the same in each of its hours (so history and totals agree).
 * BOX_TYPES_MAX bounds one answer; refIds a client makes up per order would otherwise grow a
 * keystem's stored maps, answers and dashboard without end. Mutates the deltas.
 */
function capBoxTypes(
  hours: readonly HourUpdate[],
  resets: ReadonlyMap<string, number>,
  cap: BoxTypeCap,
): void {
  const kept = new Map<string, Set<string>>();
  for (const { keystem, delta } of hours) {
    let known = kept.get(keystem);
    if (!known) kept.set(keystem, (known = new Set(resets.has(keystem) ? [] : cap.stored.get(keystem))));
    for (const m of BOX_TYPE_MAPS) {
      const map = delta[m];
      for (const refId of Object.keys(map)) {
        if (known.has(refId) || refId === OTHER_BOX_TYPES) continue;
        if (known.size < cap.max) {
          known.add(refId);
          continue;
        }
        addCount(map, OTHER_BOX_TYPES, map[refId] as number);
        delete map[refId];
      }
    }
  }
}

/**
 * The whole fold of one flush: one admission, summed per keystem and per keystem-hour; with
 * `boxTypes`, each keystem kept to its most box types.
 */
export function foldBatch(
  events: readonly StatsEvent[],
  lastResets: ReadonlyMap<string, number>,
  boxTypes?: BoxTypeCap,
): Fold {
  const { resets, fresh, applied, stale } = admit(events, lastResets);
  // "hour:keystem": the hour has no colon, so the first one splits the key again
  const hourly = sumBy(fresh, (e) => `${hourOf(e.at)}:${e.keystem}`);
  const hours = [...hourly].map(([key, delta]) => {
    const colon = key.indexOf(':');
    return { hour: Number(key.slice(0, colon)), keystem: key.slice(colon + 1), delta };
  });
  if (boxTypes) capBoxTypes(hours, resets, boxTypes);
  // each event is folded once: a keystem's delta is the sum of its hours' deltas
  const sums = new Map<string, Totals>();
  for (const { keystem, delta } of hours) {
    const sum = sums.get(keystem);
    if (sum) addTotals(sum, delta);
    else {
      const first = emptyTotals();
      addTotals(first, delta);
      sums.set(keystem, first);
    }
  }
  const updates = new Map<string, AggregateUpdate>();
  for (const [keystem, at] of resets) {
    updates.set(keystem, { reset: at, delta: sums.get(keystem) ?? emptyTotals() });
  }
  for (const [keystem, delta] of sums) {
    if (!updates.has(keystem)) updates.set(keystem, { delta });
  }
  return { updates, hours, applied, stale };
}

/** The keystems a batch touches: the store reads their last reset before folding. */
export function keystemsOf(events: readonly StatsEvent[]): string[] {
  return [...new Set(events.map((e) => e.keystem))];
}
