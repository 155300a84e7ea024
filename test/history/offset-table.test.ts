import { bucketsOf, WALL_CLOCK, Zone } from '../../src/history/calendar';
import { OffsetTable } from '../../src/history/offset-table';

const H = 3_600_000;
const DAY = 24 * H;

/** The wall clock at `t` in `tz` straight from Intl, as [y, m, d, h, min, s, weekday]. */
function intlClock(tz: string): (t: number) => string {
  const format = new Intl.DateTimeFormat('en-US', { ...WALL_CLOCK, timeZone: tz });
  return (t) =>
    format
      .formatToParts(t)
      .filter((p) => p.type !== 'literal')
      .map((p) => (p.type === 'weekday' ? p.value : Number(p.value)))
      .join(' ');
}

function zoneClock(zone: Zone): (t: number) => string {
  const days = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  return (t) => {
    const l = zone.local(t);
    return [days[l.weekday], l.month, l.day, l.year, l.hour, l.minute, l.second].join(' ');
  };
}

// DST both ways, southern summers, half-hour offsets and changes, Ramadan suspensions, negative DST
const ZONES = [
  'America/New_York',
  'Europe/London',
  'Europe/Dublin',
  'America/Santiago',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'America/St_Johns',
  'Africa/Casablanca',
  'Pacific/Apia',
];
const YEARS = [1883, 1945, 1971, 2011, 2026, 2038];

describe("a zone's offset table", () => {
  it.each(ZONES)('reads the wall clock of %s as Intl does, every 6 hours and at every change', (tz) => {
    const zone = Zone.of(tz);
    const intl = intlClock(tz);
    const ours = zoneClock(zone);
    const offset = (t: number) => {
      const [, month, day, year, hour, minute, second] = intl(t).split(' ').map(Number);
      return Date.UTC(year!, month! - 1, day, hour, minute, second) - t;
    };
    const differences: string[] = [];
    const check = (t: number) => {
      if (ours(t) !== intl(t)) differences.push(`${new Date(t).toISOString()}: ${ours(t)} ≠ ${intl(t)}`);
    };
    const STEP = 6 * H;
    for (const year of YEARS) {
      const start = Date.UTC(year, 0, 1);
      let before = offset(start);
      for (let t = start; t < start + 366 * DAY; t += STEP) {
        check(t);
        const after = offset(t + STEP);
        if (after === before) continue;
        // Intl's change in this step, to the second: ours must change at the same second
        let lo = t;
        let hi = t + STEP;
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
          if (offset(mid) === before) lo = mid;
          else hi = mid;
        }
        check(lo);
        check(hi);
        before = after;
      }
    }
    expect(differences.slice(0, 5)).toEqual([]);
  });

  it('finds each change to the second, however it falls in a sampled day', () => {
    const changes = [Date.UTC(2026, 2, 8, 7), Date.UTC(2026, 2, 8, 7, 59, 59), Date.UTC(2026, 3, 1, 0, 0, 1)];
    for (const change of changes) {
      const table = new OffsetTable((t) => (t < change ? -5 * H : -4 * H));
      expect([table.at(change - 1), table.at(change), table.at(change + 999)]).toEqual([
        -5 * H,
        -4 * H,
        -4 * H,
      ]);
    }
    // two changes in one sampled day, and a change back a day later
    const table = new OffsetTable((t) =>
      t < Date.UTC(2026, 5, 1, 3)
        ? 0
        : t < Date.UTC(2026, 5, 1, 9)
          ? H
          : t < Date.UTC(2026, 5, 2, 12)
            ? 2 * H
            : 0,
    );
    expect(
      [
        Date.UTC(2026, 5, 1, 2),
        Date.UTC(2026, 5, 1, 3),
        Date.UTC(2026, 5, 1, 9),
        Date.UTC(2026, 5, 2, 12),
      ].map((t) => table.at(t)),
    ).toEqual([0, H, 2 * H, 0]);
  });

  it.each(['America/New_York', 'Europe/London', 'America/Santiago', 'Australia/Sydney', 'Africa/Casablanca'])(
    'starts every day of %s where Intl says the day starts',
    (tz) => {
      const zone = Zone.of(tz);
      const intl = intlClock(tz);
      const dayOf = (t: number) => intl(t).split(' ').slice(1, 4).join(' ');
      for (const year of [1990, 2026]) {
        const buckets = bucketsOf(Date.UTC(year, 0, 1, 12), Date.UTC(year + 1, 0, 1, 12), 'day', zone);
        for (const { start } of buckets.slice(1)) {
          expect([dayOf(start) !== dayOf(start - H), dayOf(start) === dayOf(start + 23 * H - 1)]).toEqual([
            true,
            true,
          ]);
        }
      }
    },
  );

  it('reads years out of the table through Intl alone', () => {
    const zone = Zone.of('America/New_York');
    const t = Date.UTC(2500, 6, 1, 12);
    expect(zone.iso(t)).toBe('2500-07-01T08:00:00-04:00');
    expect(zoneClock(zone)(t)).toBe(intlClock('America/New_York')(t));
  });
});
