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
    readonly code: 'PACPROXY_ERR_BAD_ZONE' | 'PACPROXY_ERR_TOO_MANY_POINTS',
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

/** A zone's wall clock, with one cached formatter per zone. */
export class Zone {
  private static readonly cache = new Map<string, Zone>();
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new OffsetTable((t) => this.measuredOffset(t));

  private constructor(readonly name: string) {
    this.format = new Intl.DateTimeFormat('en-US', { ...WALL_CLOCK, timeZone: name });
  }

  /** The zone by its IANA name, canonicalised; throws CalendarError for an unknown one. */
  static of(name: string): Zone {
    const cached = Zone.cache.get(name);
    if (cached) return cached;
    let zone: Zone;
    try {
      zone = new Zone(name);
    } catch {
      throw new CalendarError(
        'PACPROXY_ERR_BAD_ZONE',
        `unknown time zone ${JSON.stringify(name)}: use an IANA name such as Europe/Berlin`,
      );
    }
    Zone.cache.set(name, zone);
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
    const wall = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
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
   * two wall-clock readings confirm the answer.
   */
  startOfDay(year: number, month: number, day: number, offsetHint?: number): number {
    const wall = Date.UTC(year, month - 1, day);
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
      while (dayKeyOf(this.local(t)) < key) t += HOUR_MS;
    }
    while (dayKeyOf(this.local(t - HOUR_MS)) >= key) t -= HOUR_MS; // midnight repeated: the first
    return t;
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

/** The local calendar date `days` after y-m-d (Date.UTC normalises overflowing days and months). */
function addDays(year: number, month: number, day: number, days: number): [number, number, number] {
  const d = new Date(Date.UTC(year, month - 1, day + days));
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
 * The bucket boundaries b0 ≤ from < … < bn ≥ to (n buckets), or null when n would pass `max`.
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
      const hint = Date.UTC(date[0], date[1] - 1, date[2]) - previous; // the offset at `previous`
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
 * holding `from`. Throws CalendarError past MAX_POINTS or for a zone with a non-whole-hour offset.
 */
export function bucketsOf(from: number, to: number, interval: Interval, zone: Zone): Bucket[] {
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
