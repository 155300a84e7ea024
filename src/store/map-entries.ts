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

/** Per stored map, the Totals maps its row fills and where each one's figure stands in the row's values. */
const FIELDS_OF_MAP = new Map<string, { field: MapField; index: number }[]>();
for (const { field, map, column } of ENTRY_COLUMNS) {
  let fields = FIELDS_OF_MAP.get(map);
  if (!fields) FIELDS_OF_MAP.set(map, (fields = []));
  fields.push({ field, index: ENTRY_VALUE_COLUMNS.indexOf(column) });
}

/**
 * A stored entry's figures set into the maps of Totals (an entry is one key of each of its
 * maps): `values[first + i]` is the figure of ENTRY_VALUE_COLUMNS[i], so that a row read by
 * position is read in place.
 */
export function setEntryValues(
  maps: Maps,
  map: string,
  key: string,
  values: readonly unknown[],
  first: number,
): void {
  for (const { field, index } of FIELDS_OF_MAP.get(map) ?? []) {
    const value = values[first + index] as number | null;
    if (value !== null) maps[field][key] = value;
  }
}

/** Stored rows back as the maps of Totals. */
export function mapsOfEntries(rows: readonly EntryRow[]): Maps {
  const maps = emptyMaps();
  for (const row of rows) {
    setEntryValues(
      maps,
      row.map,
      row.key,
      ENTRY_VALUE_COLUMNS.map((c) => row[c]),
      0,
    );
  }
  return maps;
}
