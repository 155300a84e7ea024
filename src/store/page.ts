import type { KeystemPage } from './types';

/** A page from up to `limit + 1` keystems in order: the extra one only says there is a next page. */
export function pageOf(keystems: readonly string[], limit: number): KeystemPage {
  const page = keystems.slice(0, limit);
  return { keystems: page, next: keystems.length > limit ? (page.at(-1) ?? null) : null };
}
