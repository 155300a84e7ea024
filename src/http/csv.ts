/**
 * CSV (RFC 4180) of flat tables: a header row, CRLF line ends, a field quoted when it holds a
 * comma, a quote or a line break (quotes doubled). Text that a spreadsheet would run as a
 * formula (=, +, -, @, tab, CR first) is prefixed with ' — numbers are written as numbers.
 */

export type Cell = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

function field(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns: readonly string[], rows: readonly Record<string, Cell>[]): string {
  const lines = [columns.map(field).join(',')];
  for (const row of rows) lines.push(columns.map((c) => field(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * Nested objects as dotted columns: `{maxLatency: {latency: 5}, statusCodes: {"200": 3}}` →
 * `maxLatency.latency`, `statusCodes.200`. Columns follow the first row's fields; the keys of a
 * map are the union over every row, sorted, beside their field.
 */
export function flatten(rows: readonly Record<string, unknown>[]): {
  columns: string[];
  rows: Record<string, Cell>[];
} {
  const flat = rows.map((row) => {
    const out: Record<string, Cell> = {};
    const walk = (value: unknown, path: string) => {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) walk(v, path === '' ? k : `${path}.${k}`);
      } else {
        out[path] = value as Cell;
      }
    };
    walk(row, '');
    return out;
  });
  const order = Object.keys(rows[0] ?? {});
  const top = (column: string) => {
    const i = order.indexOf(column.split('.')[0] ?? '');
    return i < 0 ? order.length : i;
  };
  const columns = [...new Set(flat.flatMap((r) => Object.keys(r)))].sort(
    (a, b) => top(a) - top(b) || (a < b ? -1 : a > b ? 1 : 0),
  );
  return { columns, rows: flat };
}
