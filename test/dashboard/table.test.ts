import { errorRate, filterItems, sortItems, tableView, type TableState } from '../../src/dashboard/web/table';
import type { KeystemItem } from '../../src/dashboard/web/types';

const item = (usedKeystem: string, fields: Partial<KeystemItem> = {}): KeystemItem => ({
  usedKeystem,
  totalRequests: 10,
  requestErrorCount: 0,
  errorCount: 0,
  avgVolumeUtilization: 0.5,
  avgCostPerPack: 100,
  avgLatency: 1e7,
  updatedAt: '2026-12-01T10:00:00.000Z',
  ...fields,
});

const items = [
  item('WH-berlin1', { totalRequests: 30, errorCount: 3 }),
  item('WH-lyon-02', { totalRequests: 5, requestErrorCount: 5, avgVolumeUtilization: null }),
  item('aqRAiz-8RA', { totalRequests: 30, avgCostPerPack: 50, updatedAt: '2026-12-01T12:00:00.000Z' }),
  item('wh-osaka03', { totalRequests: 0, avgVolumeUtilization: null, avgCostPerPack: null }),
];
const names = (list: KeystemItem[]) => list.map((i) => i.usedKeystem);

describe('dashboard keystem table', () => {
  it('error rate counts error answers and requests without an answer', () => {
    expect(errorRate(items[0]!)).toBe(0.1);
    expect(errorRate(items[1]!)).toBe(1);
    expect(errorRate(items[3]!)).toBeNull();
  });

  it('filters by any part of the name, in any case', () => {
    expect(names(filterItems(items, 'wh-'))).toEqual(['WH-berlin1', 'WH-lyon-02', 'wh-osaka03']);
    expect(names(filterItems(items, ' LYON '))).toEqual(['WH-lyon-02']);
    expect(filterItems(items, '')).toHaveLength(4);
  });

  it('sorts either way by any column, missing values last and ties by name', () => {
    expect(names(sortItems(items, 'totalRequests', 'descending'))).toEqual([
      'aqRAiz-8RA',
      'WH-berlin1',
      'WH-lyon-02',
      'wh-osaka03',
    ]);
    expect(names(sortItems(items, 'errorRate', 'descending'))).toEqual([
      'WH-lyon-02',
      'WH-berlin1',
      'aqRAiz-8RA',
      'wh-osaka03',
    ]);
    expect(names(sortItems(items, 'errorRate', 'ascending'))).toEqual([
      'aqRAiz-8RA',
      'WH-berlin1',
      'WH-lyon-02',
      'wh-osaka03',
    ]);
    expect(names(sortItems(items, 'avgVolumeUtilization', 'ascending')).slice(2)).toEqual([
      'WH-lyon-02',
      'wh-osaka03',
    ]);
    expect(names(sortItems(items, 'avgCostPerPack', 'ascending'))[0]).toBe('aqRAiz-8RA');
    expect(names(sortItems(items, 'updatedAt', 'descending'))[0]).toBe('aqRAiz-8RA');
  });

  it('shows 10,000 keystems a page at a time, the page clamped to those there are', () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      item(`ks-${String(i).padStart(5, '0')}`, { totalRequests: i }),
    );
    const state: TableState = {
      filter: '',
      sortBy: 'totalRequests',
      direction: 'descending',
      page: 0,
      pageSize: 50,
    };
    const first = tableView(many, state);
    expect(first).toMatchObject({ matching: 10_000, page: 0, pages: 200 });
    expect(names(first.rows).slice(0, 2)).toEqual(['ks-09999', 'ks-09998']);
    expect(first.rows).toHaveLength(50);

    const filtered = tableView(many, { ...state, filter: 'ks-099', page: 7 });
    expect(filtered).toMatchObject({ matching: 100, page: 1, pages: 2 });
    expect(names(filtered.rows).at(-1)).toBe('ks-09900');

    expect(tableView([], state)).toMatchObject({ rows: [], matching: 0, page: 0, pages: 1 });
  });
});
