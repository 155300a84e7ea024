import type { KeystemItem } from './types.js';

/**
 * The keystem table's model: filter by name, sort by any column, show one page. Pure, so 10,000
 * rows are sorted in memory and only a page of them becomes DOM.
 */

export const COLUMNS = [
  'usedKeystem',
  'totalRequests',
  'errorRate',
  'avgVolumeUtilization',
  'avgCostPerPack',
  'updatedAt',
] as const;
export type Column = (typeof COLUMNS)[number];

export const COLUMN_LABELS: Record<Column, string> = {
  usedKeystem: 'Keystem',
  totalRequests: 'Requests',
  errorRate: 'Error rate',
  avgVolumeUtilization: 'Avg utilization',
  avgCostPerPack: 'Avg cost per pack',
  updatedAt: 'Last seen',
};
export type Direction = 'ascending' | 'descending';

export interface TableState {
  filter: string;
  sortBy: Column;
  direction: Direction;
  /** 0-based */
  page: number;
  pageSize: number;
}

/** Error answers and requests without one, over all requests; null without requests. */
export function errorRate(item: KeystemItem): number | null {
  return item.totalRequests > 0 ? (item.errorCount + item.requestErrorCount) / item.totalRequests : null;
}

function valueOf(item: KeystemItem, column: Column): string | number | null {
  switch (column) {
    case 'errorRate':
      return errorRate(item);
    case 'updatedAt':
      return item.updatedAt ? Date.parse(item.updatedAt) : null;
    default:
      return item[column];
  }
}

/** Keystems whose name contains `filter` (any case). */
export function filterItems(items: readonly KeystemItem[], filter: string): KeystemItem[] {
  const needle = filter.trim().toLowerCase();
  return needle ? items.filter((i) => i.usedKeystem.toLowerCase().includes(needle)) : [...items];
}

/** Sorted by `column`; missing values last in either direction, ties by name. */
export function sortItems(
  items: readonly KeystemItem[],
  column: Column,
  direction: Direction,
): KeystemItem[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return [...items].sort((a, b) => {
    const va = valueOf(a, column);
    const vb = valueOf(b, column);
    if (va === null || vb === null) {
      if (va !== vb) return va === null ? 1 : -1;
    } else if (va !== vb) {
      const order =
        typeof va === 'string' && typeof vb === 'string' ? va.localeCompare(vb) : va < vb ? -1 : 1;
      return sign * order;
    }
    return a.usedKeystem.localeCompare(b.usedKeystem);
  });
}

export interface TableView {
  rows: KeystemItem[];
  /** rows that pass the filter */
  matching: number;
  page: number;
  pages: number;
}

/** The rows to show for `state` (its page clamped to the ones there are). */
export function tableView(items: readonly KeystemItem[], state: TableState): TableView {
  const sorted = sortItems(filterItems(items, state.filter), state.sortBy, state.direction);
  const pages = Math.max(1, Math.ceil(sorted.length / state.pageSize));
  const page = Math.min(Math.max(0, state.page), pages - 1);
  return {
    rows: sorted.slice(page * state.pageSize, (page + 1) * state.pageSize),
    matching: sorted.length,
    page,
    pages,
  };
}
