import vm from 'node:vm';
import {
  bucketsOf,
  EARLIEST,
  LATEST,
  MAX_CACHED_ZONES,
  Zone,
  type Interval,
} from '../../src/history/calendar';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);

/**
 * Runs `fn` under a watchdog: synchronous code still running after `ms` is stopped (vm's timeout
 * ends whatever JavaScript runs), so a calendar loop that spins fails the test instead of hanging
 * the run. Answers what `fn` returned or threw.
 */
function bounded<T>(fn: () => T, ms = 2000): { value?: T; error?: unknown } {
  try {
    return { value: vm.runInNewContext('fn()', { fn }, { timeout: ms }) as T };
  } catch (error) {
    return { error };
  }
}

describe('history calendar limits', () => {
  it.each<[string, string, Interval]>([
    ['0000-01-01T00:00:00Z', '0000-01-03T00:00:00Z', 'day'],
    ['0000-01-01T00:00:00Z', '0000-01-03T00:00:00Z', 'week'],
    ['0000-01-01T00:00:00Z', '0000-01-03T00:00:00Z', 'month'],
    ['0050-01-01T00:00:00Z', '0050-03-01T00:00:00Z', 'day'],
    ['0099-12-01T00:00:00Z', '0099-12-03T00:00:00Z', 'week'],
    ['1969-12-31T00:00:00Z', '1970-01-02T00:00:00Z', 'day'],
  ])('refuses the range %s … %s by %s (outside 1970–9999) at once', (from, to, interval) => {
    const { error } = bounded(() => bucketsOf(at(from), at(to), interval, Zone.of('UTC')));
    expect(error).toMatchObject({
      code: 'PACPROXY_ERR_BAD_HISTORY_QUERY',
      message: expect.stringMatching(/1970 to 9999/),
    });
  });

  it('serves the first and last days of the supported range, in zones either side of UTC', () => {
    const first = bounded(() =>
      bucketsOf(EARLIEST, EARLIEST + 48 * H, 'day', Zone.of('America/New_York')).map((b) => b.start),
    );
    expect(first.error).toBeUndefined();
    expect(first.value).toEqual([
      at('1969-12-31T05:00:00Z'),
      at('1970-01-01T05:00:00Z'),
      at('1970-01-02T05:00:00Z'),
    ]);
    const zone = Zone.of('Pacific/Kiritimati'); // +14
    const last = bounded(() =>
      bucketsOf(LATEST - 48 * H, LATEST, 'month', zone).map((b) => zone.iso(b.start)),
    );
    expect(last.error).toBeUndefined();
    expect(last.value).toEqual(['9999-12-01T00:00:00+14:00', '10000-01-01T00:00:00+14:00']);
    expect(bounded(() => bucketsOf(LATEST - 48 * H, LATEST + H, 'day', zone)).error).toMatchObject({
      code: 'PACPROXY_ERR_BAD_HISTORY_QUERY',
    });
  });

  it('ends a walk to the start of a day that the zone never reaches by throwing, not spinning', () => {
    // Intl writes the year 0 as 1 (BC): the walk back to the day's first hour never found it
    const { error } = bounded(() => Zone.of('UTC').startOfDay(0, 1, 1));
    expect(error).toMatchObject({ message: expect.stringMatching(/not within 48 hours/) });
  });

  it('reads dates of the years 0–99 as those years, not 1900–1999', () => {
    expect(bounded(() => Zone.of('Etc/GMT+5').iso(at('0050-01-01T00:00:00Z'))).value).toBe(
      '0049-12-31T19:00:00-05:00',
    );
    expect(bounded(() => Zone.of('UTC').startOfDay(50, 1, 1)).value).toBe(at('0050-01-01T00:00:00Z'));
  });

  it('keeps one zone per canonical name, however the name is spelled, and answers that name', () => {
    const berlin = Zone.of('Europe/Berlin');
    expect(berlin.name).toBe('Europe/Berlin');
    const before = Zone.cachedCount;
    const name = 'europe/berlin';
    for (let i = 0; i < 2 ** 11; i++) {
      // every upper/lower-case spelling of the first 11 letters
      const spelled = [...name].map((c, j) => (j < 11 && (i >> j) & 1 ? c.toUpperCase() : c)).join('');
      expect(Zone.of(spelled)).toBe(berlin);
    }
    expect(Zone.cachedCount).toBe(before);
    expect(Zone.of('utc').name).toBe('UTC');
    expect(Zone.of('utc').iso(at('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00:00Z');
  });

  it('keeps at most MAX_CACHED_ZONES zones, whatever is asked', () => {
    for (const tz of Intl.supportedValuesOf('timeZone')) {
      Zone.of(tz);
      Zone.of(tz.toLowerCase());
      Zone.of(tz.toUpperCase());
    }
    expect(Zone.cachedCount).toBeGreaterThan(100);
    expect(Zone.cachedCount).toBeLessThanOrEqual(MAX_CACHED_ZONES);
    expect(Zone.cachedCount).toBeLessThanOrEqual(Intl.supportedValuesOf('timeZone').length + 10);
  });
});
