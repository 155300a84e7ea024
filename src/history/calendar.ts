import { HOUR_MS } from '../stats/fold';
import { OffsetTable } from './offset-table';

/**
 * The calendar of history ranges: which UTC hours make up each day, ISO week (Monday) or month
 * of an IANA time zone, computed from Intl (the zone rules of the runtime's ICU), read through a
 * table of each zone's offset changes (offset-table.ts). History is stored per UTC hour, so a
 * zone can be served only while its offset is a whole number of hours: then every local day,
 * week and month starts on a UTC hour. Pure: no I/O, no clock.
 */

export const INTERVALS = ['hour', 'day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];

/** A range query answers at most this many points. */
export const MAX_POINTS = 5000;

/**
 * The instants a range may span: the years 1970 to 9999 (UTC). Statistics cannot predate 1970,
 * and outside these years Date and Intl disagree on how to write a year (Date.UTC reads 0–99 as
 * 1900–1999, Intl writes years before 1 CE as era years).
 */
export const EARLIEST = Date.UTC(1970, 0, 1);
export const LATEST = Date.UTC(10000, 0, 1);
export const SUPPORTED_RANGE = 'the years 1970 to 9999 (1970-01-01T00:00:00Z to 10000-01-01T00:00:00Z)';

/** Zones kept (with their formatter and offset table); the zone database has some 600. */
export const MAX_CACHED_ZONES = 1000;

/**
 * The most hours a walk to a day's first instant takes: an offset change moves it by at most a
 * day (Samoa skipped 2011-12-30), so more means the zone's answers make no sense; it throws.
 */
const MAX_WALK_HOURS = 48;

/** One point of a history: hours h with start ≤ h < end count in it (clipped to the range). */
export interface Bucket {
  /** the calendar start (ms), which may precede the range's `from` for the first bucket */
  start: number;
  /** first hour counted: max(start, from) */
  from: number;
  /** end of the hours counted: min(next bucket's start, to) */
  to: number;
}

/** Why a range cannot be served; `message` is meant for the user. */
export class CalendarError extends Error {
  constructor(
    readonly code:
      'PACPROXY_ERR_BAD_ZONE' | 'PACPROXY_ERR_TOO_MANY_POINTS' | 'PACPROXY_ERR_BAD_HISTORY_QUERY',
    message: string,
  ) {
    super(message);
    this.name = 'CalendarError';
  }
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 1 = Monday … 7 = Sunday */
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** How Intl is asked for a zone's wall clock (en-US, with its time zone). */
export const WALL_CLOCK: Intl.DateTimeFormatOptions = {
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  weekday: 'short',
};

/**
 * The instants read through a zone's offset table: years whose dates Date and Intl write alike
 * (Intl writes years before 1 CE in eras) and that a history can hold; others ask Intl each time.
 */
const TABLED_FROM = Date.UTC(1800, 0, 1);
const TABLED_TO = Date.UTC(2400, 0, 1);
const tabled = (t: number) => t >= TABLED_FROM && t < TABLED_TO;

const DAY_MS = 24 * HOUR_MS;
/** 400 Gregorian years: 146,097 days, weekdays included. */
const CYCLE_MS = 146_097 * DAY_MS;

/**
 * Date.UTC for every year: Date.UTC reads the years 0–99 as 1900–1999, so those are computed
 * 400 years later (the same calendar) and moved back. Fields out of range roll over as in Date.UTC.
 */
function utc(year: number, monthIndex: number, day = 1, hour = 0, minute = 0, second = 0): number {
  return year >= 0 && year < 100
    ? Date.UTC(year + 400, monthIndex, day, hour, minute, second) - CYCLE_MS
    : Date.UTC(year, monthIndex, day, hour, minute, second);
}

/** The fields of a wall-clock instant given as ms since the epoch read as UTC. */
function wallClockOf(wall: number): LocalTime {
  const d = new Date(wall);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay() || 7,
  };
}

/**
 * A zone's wall clock, with one formatter and offset table per zone. Zones are kept under their
 * canonical name only (any spelling of a name shares one), the least recently used dropped past
 * MAX_CACHED_ZONES, so no query can grow the cache without bound.
 */
export class Zone {
  private static readonly cache = new Map<string, Zone>();
  private readonly offsets = new OffsetTable((t) => this.measuredOffset(t));

  private constructor(
    /** the canonical IANA name, as Intl resolves it (europe/berlin → Europe/Berlin) */
    readonly name: string,
    private readonly format: Intl.DateTimeFormat,
  ) {}

  /** The zone by its IANA name, canonicalised; throws CalendarError for an unknown one. */
  static of(name: string): Zone {
    const cached = Zone.cache.get(name); // a canonical name, asked as such
    if (cached) return Zone.used(cached);
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-US', { ...WALL_CLOCK, timeZone: name });
    } catch {
      throw new CalendarError(
        'PACPROXY_ERR_BAD_ZONE',
        `unknown time zone ${JSON.stringify(name.slice(0, 64))}: use an IANA name such as Europe/Berlin`,
      );
    }
    const canonical = format.resolvedOptions().timeZone;
    const known = Zone.cache.get(canonical);
    if (known) return Zone.used(known);
    const zone = new Zone(canonical, format);
    Zone.cache.set(canonical, zone);
    if (Zone.cache.size > MAX_CACHED_ZONES) {
      Zone.cache.delete(Zone.cache.keys().next().value as string); // the least recently used
    }
    return zone;
  }

  /** How many zones are kept (at most MAX_CACHED_ZONES). */
  static get cachedCount(): number {
    return Zone.cache.size;
  }

  /** Marks `zone` as the most recently used. */
  private static used(zone: Zone): Zone {
    Zone.cache.delete(zone.name);
    Zone.cache.set(zone.name, zone);
    return zone;
  }

  /** The wall clock at `t`: from the offset table within its years, else from Intl. */
  local(t: number): LocalTime {
    return tabled(t) ? wallClockOf(t + this.offsets.at(t)) : this.measuredLocal(t);
  }

  /** Local time minus UTC at instant `t`, in ms (seconds precision). */
  offset(t: number): number {
    return tabled(t) ? this.offsets.at(t) : this.measuredOffset(t);
  }

  /** The wall clock at `t` as Intl reads it. */
  private measuredLocal(t: number): LocalTime {
    const parts: Record<string, string> = {};
    for (const p of this.format.formatToParts(t)) parts[p.type] = p.value;
    return {
      year: Number(parts.year),
      month: Number(parts.month),
      day: Number(parts.day),
      hour: Number(parts.hour),
      minute: Number(parts.minute),
      second: Number(parts.second),
      weekday: WEEKDAYS[parts.weekday ?? ''] ?? 0,
    };
  }

  private measuredOffset(t: number): number {
    const l = this.measuredLocal(t);
    const wall = utc(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
    return wall - (t - (((t % 1000) + 1000) % 1000));
  }

  /** Refuses an offset that is not whole hours at `t`: its local days would split UTC hours. */
  checkWholeHours(t: number): void {
    const offset = this.offset(t);
    if (offset % HOUR_MS !== 0) {
      throw new CalendarError(
        'PACPROXY_ERR_BAD_ZONE',
        `time zone ${this.name} is ${formatOffset(offset)} from UTC at ${new Date(t).toISOString()}, ` +
          'not a whole number of hours: history is kept per UTC hour, so its days cannot be told apart; ' +
          'use a zone with whole-hour offsets or UTC',
      );
    }
  }

  /**
   * The first instant of local day y-m-d: midnight, or the first hour of the day where a change
   * skips midnight. `offsetHint` (the offset a moment before, usually right) saves lookups: then
   * two wall-clock readings confirm the answer. Each walk is at most MAX_WALK_HOURS long: a zone
   * that would need more throws instead of spinning.
   */
  startOfDay(year: number, month: number, day: number, offsetHint?: number): number {
    const wall = utc(year, month - 1, day);
    const key = dayKey(year, month, day);
    let t = wall - (offsetHint ?? this.offset(wall));
    let at = this.local(t);
    if (dayKeyOf(at) !== key || at.hour !== 0) {
      t = wall - this.offset(t); // a change lay between: the offset at the candidate itself
      at = this.local(t);
    }
    if (at.hour === 0 && at.minute === 0 && dayKeyOf(at) === key) {
      if ((wall - t) % HOUR_MS !== 0) this.checkWholeHours(t);
    } else {
      this.checkWholeHours(t);
      for (let steps = 0; dayKeyOf(this.local(t)) < key; steps++) {
        if (steps === MAX_WALK_HOURS) throw this.lost(key);
        t += HOUR_MS;
      }
    }
    // midnight repeated: the first
    for (let steps = 0; dayKeyOf(this.local(t - HOUR_MS)) >= key; steps++) {
      if (steps === MAX_WALK_HOURS) throw this.lost(key);
      t -= HOUR_MS;
    }
    return t;
  }

  private lost(key: number): Error {
    return new Error(
      `calendar: the start of day ${key} in ${this.name} is not within ${MAX_WALK_HOURS} hours of its midnight`,
    );
  }

  /** ISO 8601 with this zone's offset at `t`, e.g. 2026-03-08T00:00:00-05:00. */
  iso(t: number): string {
    const l = this.local(t);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    return (
      `${pad(l.year, 4)}-${pad(l.month)}-${pad(l.day)}T${pad(l.hour)}:${pad(l.minute)}:${pad(l.second)}` +
      (this.name === 'UTC' ? 'Z' : formatOffset(this.offset(t)))
    );
  }
}

function dayKey(year: number, month: number, day: number): number {
  return year * 10_000 + month * 100 + day;
}

function dayKeyOf(l: LocalTime): number {
  return dayKey(l.year, l.month, l.day);
}

function formatOffset(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  const seconds = Math.round(Math.abs(ms) / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const hhmm = `${sign}${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}`;
  return seconds % 60 === 0 ? hhmm : `${hhmm}:${pad(seconds % 60)}`; // local mean time had seconds
}

/** The local calendar date `days` after y-m-d (utc normalises overflowing days and months). */
function addDays(year: number, month: number, day: number, days: number): [number, number, number] {
  const d = new Date(utc(year, month - 1, day + days));
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
}

type LocalDate = [year: number, month: number, day: number];

/** The local date the bucket holding local time `l` starts on, and the date the next one starts on. */
function calendarOf(
  interval: Exclude<Interval, 'hour'>,
  l: LocalTime,
): { first: LocalDate; next: (d: LocalDate) => LocalDate } {
  if (interval === 'day') return { first: [l.year, l.month, l.day], next: (d) => addDays(...d, 1) };
  if (interval === 'week') {
    return { first: addDays(l.year, l.month, l.day, 1 - l.weekday), next: (d) => addDays(...d, 7) };
  }
  return {
    first: [l.year, l.month, 1],
    next: ([y, m]) => (m === 12 ? [y + 1, 1, 1] : [y, m + 1, 1]),
  };
}

/**
 * The bucket boundaries b0 ≤ from < … < bn ≥ to (n buckets), or null when n would pass `max`
 * (so the loop ends after at most `max` + 1 steps, whatever `next` answers).
 * Days, weeks and months step through local dates; each date's first instant is found from the
 * previous boundary's offset, so a daylight-saving change costs one more lookup, not a search.
 */
function boundariesOf(
  from: number,
  to: number,
  interval: Interval,
  zone: Zone,
  max: number,
): number[] | null {
  let next: (previous: number) => number;
  let first: number;
  if (interval === 'hour') {
    first = Math.floor(from / HOUR_MS) * HOUR_MS;
    next = (previous) => {
      zone.checkWholeHours(previous);
      return previous + HOUR_MS;
    };
  } else {
    const calendar = calendarOf(interval, zone.local(from));
    let date = calendar.first;
    first = zone.startOfDay(...date);
    next = (previous) => {
      const hint = utc(date[0], date[1] - 1, date[2]) - previous; // the offset at `previous`
      date = calendar.next(date);
      return zone.startOfDay(...date, hint);
    };
  }
  const bounds = [first];
  while ((bounds.at(-1) as number) < to) {
    if (bounds.length > max) return null;
    bounds.push(next(bounds.at(-1) as number));
  }
  return bounds;
}

/**
 * The buckets of [from, to) at `interval` in `zone`: every one present, in order, the first
 * holding `from`. Throws CalendarError past MAX_POINTS, for a zone with a non-whole-hour offset,
 * or for a range outside EARLIEST … LATEST.
 */
export function bucketsOf(from: number, to: number, interval: Interval, zone: Zone): Bucket[] {
  if (!(from >= EARLIEST && to <= LATEST)) {
    throw new CalendarError(
      'PACPROXY_ERR_BAD_HISTORY_QUERY',
      `a history range lies within ${SUPPORTED_RANGE}`,
    );
  }
  const tooMany = () =>
    new CalendarError(
      'PACPROXY_ERR_TOO_MANY_POINTS',
      `the range holds more than ${MAX_POINTS} ${interval}s: use a coarser interval or a shorter range`,
    );
  zone.checkWholeHours(from);
  zone.checkWholeHours(to);
  const bounds = boundariesOf(from, to, interval, zone, MAX_POINTS);
  if (!bounds) throw tooMany();
  return bounds.slice(0, -1).map((start, i) => ({
    start,
    from: Math.max(start, from),
    to: Math.min(bounds[i + 1] as number, to),
  }));
}
