import fc from 'fast-check';
import {
  bucketStart,
  customRange,
  historyQuery,
  instantOf,
  intervalFor,
  isStale,
  localTime,
  MAX_BUCKETS,
  presetRange,
  usableZone,
  zoneOffset,
} from '../../src/dashboard/web/range';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
];

describe('dashboard range arithmetic', () => {
  it('knows zone offsets, daylight saving included', () => {
    expect(zoneOffset(at('2026-01-15T12:00:00Z'), 'Europe/Berlin')).toBe(3_600_000);
    expect(zoneOffset(at('2026-07-15T12:00:00Z'), 'Europe/Berlin')).toBe(7_200_000);
    expect(zoneOffset(at('2026-07-15T12:00:00Z'), 'Asia/Kolkata')).toBe(5.5 * 3_600_000);
  });

  it('finds the instant of a wall-clock time, across a daylight-saving change', () => {
    expect(iso(instantOf('Europe/Berlin', 2026, 3, 29))).toBe('2026-03-28T23:00:00.000Z');
    expect(iso(instantOf('Europe/Berlin', 2026, 3, 30))).toBe('2026-03-29T22:00:00.000Z');
    expect(iso(instantOf('America/New_York', 2026, 11, 1, 12))).toBe('2026-11-01T17:00:00.000Z');
    // days roll over into the next month as Date.UTC's do
    expect(iso(instantOf('UTC', 2026, 2, 29))).toBe('2026-03-01T00:00:00.000Z');
  });

  it('bucket starts: local hours of a half-hour zone, days, Monday weeks and months', () => {
    const t = at('2026-12-02T10:45:12.345Z'); // Wednesday; 16:15:12 in Kolkata
    expect(iso(bucketStart(t, 'hour', 'UTC'))).toBe('2026-12-02T10:00:00.000Z');
    expect(iso(bucketStart(t, 'hour', 'Asia/Kolkata'))).toBe('2026-12-02T10:30:00.000Z');
    expect(iso(bucketStart(t, 'day', 'Asia/Kolkata'))).toBe('2026-12-01T18:30:00.000Z');
    expect(iso(bucketStart(t, 'week', 'UTC'))).toBe('2026-11-30T00:00:00.000Z');
    expect(iso(bucketStart(t, 'month', 'Europe/Berlin'))).toBe('2026-11-30T23:00:00.000Z');
  });

  it('a bucket start holds its instant, starts at local midnight or a local hour, and is its own start', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2030-01-01T00:00:00Z') }),
        fc.constantFrom(...ZONES),
        fc.constantFrom('hour' as const, 'day' as const, 'week' as const, 'month' as const),
        (instant, zone, interval) => {
          const start = bucketStart(instant, interval, zone);
          expect(start).toBeLessThanOrEqual(instant);
          expect(bucketStart(start, interval, zone)).toBe(start);
          const local = localTime(start, zone);
          expect([local.minute, local.second]).toEqual([0, 0]);
          if (interval !== 'hour' && zone !== 'Australia/Lord_Howe') expect(local.hour).toBe(0);
          if (interval === 'month') expect(local.day).toBe(1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('presets: hours back from now for 24 h to 30 d, calendar days for 12 months', () => {
    const now = at('2026-12-01T15:17:30Z');
    expect(presetRange('24h', now, 'UTC')).toEqual({
      from: at('2026-11-30T15:00:00Z'),
      to: now,
      interval: 'hour',
    });
    expect(presetRange('7d', now, 'UTC').from).toBe(at('2026-11-24T15:00:00Z'));
    expect(presetRange('30d', now, 'Asia/Kolkata')).toEqual({
      from: at('2026-11-01T14:30:00Z'),
      to: now,
      interval: 'hour',
    });
    expect(presetRange('12mo', now, 'Europe/Berlin')).toEqual({
      from: at('2025-12-01T23:00:00Z'),
      to: now,
      interval: 'day',
    });
  });

  it('custom ranges are whole local days, both ends included, with an interval that fits', () => {
    expect(customRange('2026-03-28', '2026-03-29', 'Europe/Berlin')).toEqual({
      from: at('2026-03-27T23:00:00Z'),
      to: at('2026-03-29T22:00:00Z'),
      interval: 'hour',
    });
    expect(customRange('2024-01-01', '2026-12-31', 'UTC')).toMatchObject({ interval: 'week' });
    expect(customRange('2026-03-29', '2026-03-28', 'UTC')).toEqual({
      error: expect.stringMatching(/before/),
    });
    expect(customRange('', '2026-03-28', 'UTC')).toEqual({ error: expect.any(String) });
  });

  it('picks the finest interval within MAX_BUCKETS', () => {
    const day = 86_400_000;
    expect(intervalFor(0, (MAX_BUCKETS / 24) * day)).toBe('hour');
    expect(intervalFor(0, (MAX_BUCKETS / 24) * day + 3_600_001)).toBe('day');
    expect(intervalFor(0, 2000 * day)).toBe('week');
    expect(intervalFor(0, 100 * 365 * day)).toBe('month');
  });

  it('asks the history API in ISO instants with the zone', () => {
    const q = new URLSearchParams(
      historyQuery(
        { from: at('2026-11-30T15:00:00Z'), to: at('2026-12-01T15:17:30Z'), interval: 'hour' },
        'Asia/Kolkata',
        {
          format: 'csv',
        },
      ),
    );
    expect(Object.fromEntries(q)).toEqual({
      from: '2026-11-30T15:00:00.000Z',
      to: '2026-12-01T15:17:30.000Z',
      interval: 'hour',
      tz: 'Asia/Kolkata',
      format: 'csv',
    });
  });

  it('asks in the browser’s zone when its offsets are whole hours, else in UTC', () => {
    const now = at('2026-12-01T15:17:30Z');
    expect(usableZone('Europe/Berlin', now)).toBe('Europe/Berlin');
    expect(usableZone('America/New_York', now)).toBe('America/New_York');
    expect(usableZone('Asia/Kolkata', now)).toBe('UTC');
    // +10:30 in winter, +11 in summer: the winter months rule it out
    expect(usableZone('Australia/Lord_Howe', now)).toBe('UTC');
  });

  it('calls data stale once a refresh plus a flush interval went by without a success', () => {
    expect(isStale(0, 11_000, 10_000, 1000)).toBe(false);
    expect(isStale(0, 11_001, 10_000, 1000)).toBe(true);
  });
});
