import { emptyMaps, type MapField, type Maps } from '../stats/fold';

/**
 * SQLite's map entries (pure): the six maps of Totals stored as one row per map and key, where
 * a refId's row carries all four box-type figures (its count, utilization sum and count, cost)
 * in their own columns — one upsert per refId instead of four. A NULL column is a key the map
 * does not have (a refId can have box-type stats and no count), so rows and maps convert both
 * ways without loss.
 */

export const ENTRY_VALUE_COLUMNS = ['n', 'utilization_sum', 'utilization_count', 'cost'] as const;
export type EntryValueColumn = (typeof ENTRY_VALUE_COLUMNS)[number];

/** Where each map of Totals is stored: the row's `map` and the value column. */
export const ENTRY_COLUMNS: readonly { field: MapField; map: string; column: EntryValueColumn }[] = [
  { field: 'statusCodes', map: 'statusCodes', column: 'n' },
  { field: 'boxTypes', map: 'boxTypes', column: 'n' },
  { field: 'choiceGoals', map: 'choiceGoals', column: 'n' },
  { field: 'boxTypeUtilizationSum', map: 'boxTypes', column: 'utilization_sum' },
  { field: 'boxTypeUtilizationCount', map: 'boxTypes', column: 'utilization_count' },
  { field: 'boxTypeCost', map: 'boxTypes', column: 'cost' },
];

export type EntryRow = { map: string; key: string } & Record<EntryValueColumn, number | null>;

/** A delta's maps as the rows to upsert. */
export function entryRowsOf(maps: Maps): EntryRow[] {
  const rows = new Map<string, Map<string, EntryRow>>();
  for (const { field, map, column } of ENTRY_COLUMNS) {
    let byKey = rows.get(map);
    if (!byKey) rows.set(map, (byKey = new Map()));
    for (const [key, value] of Object.entries(maps[field])) {
      let row = byKey.get(key);
      if (!row)
        byKey.set(
          key,
          (row = { map, key, n: null, utilization_sum: null, utilization_count: null, cost: null }),
        );
      row[column] = value;
    }
  }
  return [...rows.values()].flatMap((byKey) => [...byKey.values()]);
}

/** A stored row's figures set into the maps of Totals (a row is one key of each of its maps). */
export function setEntry(maps: Maps, row: EntryRow): void {
  for (const { field, map, column } of ENTRY_COLUMNS) {
    const value = row[column];
    if (row.map === map && value !== null) maps[field][row.key] = value;
  }
}

/** Stored rows back as the maps of Totals. */
export function mapsOfEntries(rows: readonly EntryRow[]): Maps {
  const maps = emptyMaps();
  for (const row of rows) setEntry(maps, row);
  return maps;
}
