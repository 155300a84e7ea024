import {
  formatAge,
  formatCount,
  formatDateTime,
  formatLatency,
  formatMoney,
  formatPercent,
  MISSING,
} from '../../src/dashboard/web/format';

describe('dashboard number formatting', () => {
  it('counts get thousands separators of the locale', () => {
    expect(formatCount(1234567, 'en-US')).toBe('1,234,567');
    expect(formatCount(1234567, 'de-DE')).toBe('1.234.567');
    expect(formatCount(0, 'en-US')).toBe('0');
  });

  it('latencies in nanoseconds read as milliseconds', () => {
    expect(formatLatency(12_345_678, 'en-US')).toBe('12.3 ms');
    expect(formatLatency(1_234_567_890, 'en-US')).toBe('1,235 ms');
    expect(formatLatency(0, 'en-US')).toBe('0.0 ms');
    expect(formatLatency(null, 'en-US')).toBe(MISSING);
  });

  it('fractions read as percentages; nothing to average reads as a dash, not 0', () => {
    expect(formatPercent(0.5, 'en-US')).toBe('50%');
    expect(formatPercent(0.1234, 'en-US')).toBe('12.3%');
    expect(formatPercent(null, 'en-US')).toBe(MISSING);
    expect(formatPercent(Number.NaN, 'en-US')).toBe(MISSING);
  });

  it('cents read as currency units', () => {
    expect(formatMoney(123456, 'USD', 'en-US')).toBe('$1,234.56');
    expect(formatMoney(240, 'EUR', 'de-DE')).toBe('2,40\u00a0€');
    expect(formatMoney(null, 'USD', 'en-US')).toBe(MISSING);
  });

  it('instants read in the zone asked for', () => {
    expect(formatDateTime('2026-12-01T15:04:00Z', 'UTC', 'en-US')).toBe('Dec 1, 2026, 3:04 PM');
    expect(formatDateTime('2026-12-01T15:04:00Z', 'Asia/Tokyo', 'en-US')).toBe('Dec 2, 2026, 12:04 AM');
    expect(formatDateTime('', 'UTC', 'en-US')).toBe(MISSING);
  });

  it('ages read coarsely', () => {
    expect(formatAge(12_400)).toBe('12 s ago');
    expect(formatAge(5 * 60_000 + 1)).toBe('5 min ago');
    expect(formatAge(3 * 3_600_000)).toBe('3 h ago');
    expect(formatAge(49 * 3_600_000)).toBe('2 d ago');
  });
});
