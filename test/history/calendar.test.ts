import { bucketsOf, MAX_POINTS, Zone, type Bucket, type Interval } from '../../src/history/calendar';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);

/** Each bucket as [its start in the zone's own words, hours counted in it]. */
function shown(from: string, to: string, interval: Interval, tz: string): [string, number][] {
  const zone = Zone.of(tz);
  return bucketsOf(at(from), at(to), interval, zone).map((b: Bucket) => [
    zone.iso(b.start),
    (b.to - b.from) / H,
  ]);
}

describe('history calendar', () => {
  it('cuts hours on UTC hour boundaries, the first one clipped to the range', () => {
    const buckets = bucketsOf(at('2026-01-01T10:30:00Z'), at('2026-01-01T13:00:00Z'), 'hour', Zone.of('UTC'));
    expect(buckets).toEqual([
      { start: at('2026-01-01T10:00:00Z'), from: at('2026-01-01T10:30:00Z'), to: at('2026-01-01T11:00:00Z') },
      { start: at('2026-01-01T11:00:00Z'), from: at('2026-01-01T11:00:00Z'), to: at('2026-01-01T12:00:00Z') },
      { start: at('2026-01-01T12:00:00Z'), from: at('2026-01-01T12:00:00Z'), to: at('2026-01-01T13:00:00Z') },
    ]);
  });

  it('has a 23-hour day when New York springs forward and a 25-hour day when it falls back', () => {
    expect(shown('2026-03-07T05:00:00Z', '2026-03-10T04:00:00Z', 'day', 'America/New_York')).toEqual([
      ['2026-03-07T00:00:00-05:00', 24],
      ['2026-03-08T00:00:00-05:00', 23],
      ['2026-03-09T00:00:00-04:00', 24],
    ]);
    expect(shown('2026-10-31T04:00:00Z', '2026-11-03T05:00:00Z', 'day', 'America/New_York')).toEqual([
      ['2026-10-31T00:00:00-04:00', 24],
      ['2026-11-01T00:00:00-04:00', 25],
      ['2026-11-02T00:00:00-05:00', 24],
    ]);
  });

  it("starts ISO weeks on the zone's Monday; weeks holding a DST change have 167 or 169 hours", () => {
    expect(shown('2026-03-02T05:00:00Z', '2026-03-16T04:00:00Z', 'week', 'America/New_York')).toEqual([
      ['2026-03-02T00:00:00-05:00', 167],
      ['2026-03-09T00:00:00-04:00', 168],
    ]);
    expect(shown('2026-10-26T04:00:00Z', '2026-11-02T05:00:00Z', 'week', 'America/New_York')).toEqual([
      ['2026-10-26T00:00:00-04:00', 169],
    ]);
    // a range from a Wednesday 08:00: the first point is its week, counted from `from`
    expect(shown('2026-10-28T12:00:00Z', '2026-11-09T05:00:00Z', 'week', 'America/New_York')).toEqual([
      ['2026-10-26T00:00:00-04:00', 113],
      ['2026-11-02T00:00:00-05:00', 168],
    ]);
  });

  it("cuts months at the zone's first of the month", () => {
    expect(shown('2026-02-01T05:00:00Z', '2026-05-01T04:00:00Z', 'month', 'America/New_York')).toEqual([
      ['2026-02-01T00:00:00-05:00', 28 * 24],
      ['2026-03-01T00:00:00-05:00', 31 * 24 - 1],
      ['2026-04-01T00:00:00-04:00', 30 * 24],
    ]);
    expect(shown('2026-12-01T00:00:00Z', '2027-01-15T00:00:00Z', 'month', 'UTC')).toEqual([
      ['2026-12-01T00:00:00Z', 31 * 24],
      ['2027-01-01T00:00:00Z', 14 * 24],
    ]);
  });

  it('starts a day whose midnight is skipped at its first hour (Santiago, September)', () => {
    expect(shown('2026-09-05T04:00:00Z', '2026-09-07T03:00:00Z', 'day', 'America/Santiago')).toEqual([
      ['2026-09-05T00:00:00-04:00', 24],
      ['2026-09-06T01:00:00-03:00', 23],
    ]);
  });

  it('answers at most 5,000 points and refuses one more', () => {
    const from = at('2026-01-01T00:00:00Z');
    expect(bucketsOf(from, from + MAX_POINTS * H, 'hour', Zone.of('UTC'))).toHaveLength(MAX_POINTS);
    expect(() => bucketsOf(from, from + (MAX_POINTS + 1) * H, 'hour', Zone.of('UTC'))).toThrow(
      expect.objectContaining({
        code: 'PACPROXY_ERR_TOO_MANY_POINTS',
        message: expect.stringMatching(/coarser interval/),
      }),
    );
    expect(() => bucketsOf(from, from + 20 * 365 * 24 * H, 'day', Zone.of('UTC'))).toThrow(
      /more than 5000 days/,
    );
    expect(bucketsOf(from, from + 20 * 365 * 24 * H, 'month', Zone.of('UTC'))).toHaveLength(240);
  });

  it('refuses unknown zones and zones whose offset in the range is not whole hours', () => {
    expect(() => Zone.of('Mars/Olympus_Mons')).toThrow(
      expect.objectContaining({
        code: 'PACPROXY_ERR_BAD_ZONE',
        message: expect.stringMatching(/Mars\/Olympus_Mons/),
      }),
    );
    const day = (tz: string, iso: string) => () => bucketsOf(at(iso), at(iso) + 48 * H, 'day', Zone.of(tz));
    // named as Intl canonicalises it: Asia/Calcutta in Node 20's ICU
    expect(day('Asia/Kolkata', '2026-01-01T00:00:00Z')).toThrow(/Asia\/(Kolkata|Calcutta) is \+05:30/);
    expect(day('Asia/Kathmandu', '2026-01-01T00:00:00Z')).toThrow(/\+05:45/);
    // Lord Howe is +11 in (southern) summer, +10:30 in winter
    expect(day('Australia/Lord_Howe', '2026-01-10T00:00:00Z')).not.toThrow();
    expect(day('Australia/Lord_Howe', '2026-07-10T00:00:00Z')).toThrow(/\+10:30/);
  });
});
