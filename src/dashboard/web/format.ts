/**
 * Numbers as people read them: thousands separators, milliseconds, percentages, money. Every
 * function takes the locale (the browser's by default) so tests can pin one. Missing values
 * (null: nothing was there to average) read as an en dash, never as 0.
 */

export const MISSING = '–';

type Locale = string | undefined;

export function formatCount(n: number, locale?: Locale): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}

/** Nanoseconds as milliseconds: one decimal under 100 ms, whole milliseconds above. */
export function formatLatency(ns: number | null, locale?: Locale): string {
  if (ns === null) return MISSING;
  const ms = ns / 1e6;
  const digits = ms < 100 ? 1 : 0;
  return `${new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(ms)} ms`;
}

/** A fraction (0.125) as a percentage (12.5 %). */
export function formatPercent(fraction: number | null, locale?: Locale): string {
  if (fraction === null || !Number.isFinite(fraction)) return MISSING;
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(fraction);
}

/** Cents as currency units (Paccurate prices in cents). */
export function formatMoney(cents: number | null, currency: string, locale?: Locale): string {
  if (cents === null) return MISSING;
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(cents / 100);
}

/** An instant as a date and time in the zone, e.g. "Dec 1, 2026, 3:04 PM". */
export function formatDateTime(iso: string, timeZone: string, locale?: Locale): string {
  const at = Date.parse(iso);
  if (!Number.isFinite(at) || iso === '') return MISSING;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(at);
}

/** How long ago, coarsely: "12 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}
