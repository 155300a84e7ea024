import type { KeystemListRow, KeystemPage } from './types';

/** A page from up to `limit + 1` keystems in order: the extra one only says there is a next page. */
export function pageOf(found: readonly KeystemListRow[], limit: number): KeystemPage {
  const rows = found.slice(0, limit);
  const keystems = rows.map((r) => r.keystem);
  return { keystems, rows, next: found.length > limit ? (keystems.at(-1) ?? null) : null };
}
