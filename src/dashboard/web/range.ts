import type { Interval } from './types.js';

/**
 * Range arithmetic in the browser's zone: what `from`, `to` and `interval` the history API is
 * asked for. Instants are ms since the epoch; local calendar dates are found through
 * Intl (no date library), so half-hour zones and daylight-saving days come out right.
 */

export const PRESETS = ['24h', '7d', '30d', '12mo'] as const;
export type Preset = (typeof PRESETS)[number];

export const PRESET_LABELS: Record<Preset, string> = {
  '24h': 'Last 24 h',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '12mo': 'Last 12 months',
};

export interface Range {
  from: number;
  to: number;
  interval: Interval;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Finest buckets first; a range takes the finest one that keeps the chart under MAX_BUCKETS. */
const APPROX_MS: Record<Interval, number> = { hour: HOUR, day: DAY, week: 7 * DAY, month: 30.44 * DAY };
/** Enough points to see a day's shape over a month, few enough to draw at once (the API allows 5,000). */
export const MAX_BUCKETS = 1000;

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time in `timeZone` at `instant`. */
export function localTime(instant: number, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const part = (type: string) => Number(f.formatToParts(instant).find((p) => p.type === type)?.value);
  return {
    year: part('year'),
    month: part('month'),
    day: part('day'),
    hour: part('hour'),
    minute: part('minute'),
    second: part('second'),
  };
}

/** How far `timeZone` is ahead of UTC at `instant`, in ms. */
export function zoneOffset(instant: number, timeZone: string): number {
  const t = localTime(instant, timeZone);
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall-clock time in `timeZone` happens (month 1-12; days and months out of range
 * roll over, as Date.UTC does). A time skipped by a daylight-saving jump resolves to just after it.
 */
export function instantOf(timeZone: string, year: number, month: number, day: number, hour = 0): number {
  const wall = Date.UTC(year, month - 1, day, hour);
  let guess = wall - zoneOffset(wall, timeZone);
  guess = wall - zoneOffset(guess, timeZone);
  return guess;
}

/** The start of the bucket (hour, day, week from Monday, month) that holds `instant` in `timeZone`. */
export function bucketStart(instant: number, interval: Interval, timeZone: string): number {
  const t = localTime(instant, timeZone);
  switch (interval) {
    case 'hour':
      return instant - ((t.minute * 60 + t.second) * 1000 + (instant % 1000));
    case 'day':
      return instantOf(timeZone, t.year, t.month, t.day);
    case 'week': {
      const weekday = (new Date(Date.UTC(t.year, t.month - 1, t.day)).getUTCDay() + 6) % 7;
      return instantOf(timeZone, t.year, t.month, t.day - weekday);
    }
    case 'month':
      return instantOf(timeZone, t.year, t.month, 1);
  }
}

/**
 * The zone the page asks the history API for: the browser's, unless its offset from UTC is not
 * whole hours at some time in the last year (India, Newfoundland, …). History is kept per UTC
 * hour, so such a zone's local days cannot be cut from it (the API answers 400); UTC can.
 */
export function usableZone(timeZone: string, now: number): string {
  for (let month = 0; month <= 12; month++) {
    if (zoneOffset(now - month * 30 * DAY, timeZone) % HOUR !== 0) return 'UTC';
  }
  return timeZone;
}

/** The finest interval that shows [from, to) in at most MAX_BUCKETS buckets. */
export function intervalFor(from: number, to: number): Interval {
  const intervals: Interval[] = ['hour', 'day', 'week'];
  return intervals.find((i) => (to - from) / APPROX_MS[i] <= MAX_BUCKETS) ?? 'month';
}

/** A preset ending now: whole buckets from the first one that overlaps it. */
export function presetRange(preset: Preset, now: number, timeZone: string): Range {
  if (preset === '12mo') {
    // the 12 calendar months up to and including today
    const t = localTime(now, timeZone);
    return { from: instantOf(timeZone, t.year - 1, t.month, t.day + 1), to: now, interval: 'day' };
  }
  const hours = { '24h': 24, '7d': 7 * 24, '30d': 30 * 24 }[preset];
  return { from: bucketStart(now - hours * HOUR, 'hour', timeZone), to: now, interval: 'hour' };
}

/** Whole local days `fromDate` … `toDate` (YYYY-MM-DD, both included), or an error to show. */
export function customRange(fromDate: string, toDate: string, timeZone: string): Range | { error: string } {
  const parse = (s: string) => /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)?.slice(1).map(Number);
  const a = parse(fromDate);
  const b = parse(toDate);
  if (!a || !b) return { error: 'Choose both a start and an end date.' };
  const from = instantOf(timeZone, a[0]!, a[1]!, a[2]!);
  const to = instantOf(timeZone, b[0]!, b[1]!, b[2]! + 1);
  if (to <= from) return { error: 'The end date comes before the start date.' };
  return { from, to, interval: intervalFor(from, to) };
}

/** The query string of a history request for `range`. */
export function historyQuery(range: Range, timeZone: string, extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    interval: range.interval,
    tz: timeZone,
    ...extra,
  }).toString();
}

/**
 * Whether the shown data is older than it should be: the last successful refresh is further back
 * than one refresh period plus the pipeline's own delay (a worker flushes every flushIntervalMs).
 */
export function isStale(
  lastSuccessAt: number,
  now: number,
  refreshMs: number,
  flushIntervalMs: number,
): boolean {
  return now - lastSuccessAt > refreshMs + flushIntervalMs;
}
