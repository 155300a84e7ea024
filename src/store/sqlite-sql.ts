import { SUM_FIELDS, type SumField } from '../stats/fold';
import { ENTRY_COLUMNS, ENTRY_VALUE_COLUMNS } from './map-entries';
import { LIST_FIELDS } from './types';

/**
 * The SQLite schema and statements. The plain sums are one column each, named after their
 * Totals field (totalItems → total_items), so the upserts are generated from SUM_FIELDS.
 *
 * The maps live in their own table keyed (keystem, map, key) rather than as JSON in the keystem
 * row: an increment is then an additive upsert like every other sum (no read-modify-write of a
 * JSON blob), and the summary sums them with one GROUP BY; a refId's row carries its four
 * box-type figures (map-entries.ts), NULL where a map lacks the key. The key is
 * ordered (map, key, keystem) so that GROUP BY map, key streams over the table in key order
 * (no temporary sort: 5x faster with 10,000 keystems); the index by keystem serves a keystem's
 * read and its reset, and does not change when a count is incremented.
 */

export function column(field: SumField): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const REAL_FIELDS: readonly SumField[] = [
  'totalVolume',
  'sumVolumeUtilization',
  'totalCost',
  'totalWeight',
  'packTimeSum',
];
const columns = SUM_FIELDS.map(column);

function columnType(field: SumField): string {
  return REAL_FIELDS.includes(field) ? 'REAL' : 'INTEGER';
}

/**
 * The upgrade of a keystems table made by an earlier version: each sum it lacks is added, 0 for
 * the keystems it holds (their totals are kept; the new sums count from the upgrade on).
 */
export function addMissingColumns(existing: ReadonlySet<string>): string[] {
  return SUM_FIELDS.filter((f) => !existing.has(column(f))).map(
    (f) => `ALTER TABLE keystems ADD COLUMN ${column(f)} ${columnType(f)} NOT NULL DEFAULT 0`,
  );
}

export const KEYSTEM_COLUMNS = "SELECT name FROM pragma_table_info('keystems')";

const ENTRY_VALUE_SQL = 'n INTEGER, utilization_sum REAL, utilization_count INTEGER, cost REAL';
const entryValues = ENTRY_VALUE_COLUMNS.join(', ');

/** An old map (a keystem_counts row's map, a JSON document's member) as its entry row's map. */
const entryMapOf = (old: string) =>
  `CASE ${old} ${ENTRY_COLUMNS.map((e) => `WHEN '${e.field}' THEN '${e.map}'`).join(' ')} END`;

/** The value columns of entry rows grouped from old (map, value) pairs: NULL where none was. */
const entryValuesOf = (oldMap: string, oldValue: string) =>
  ENTRY_VALUE_COLUMNS.map(
    (c) =>
      `SUM(CASE WHEN ${oldMap} IN (${ENTRY_COLUMNS.filter((e) => e.column === c)
        .map((e) => `'${e.field}'`)
        .join(', ')}) THEN ${oldValue} END)`,
  ).join(',\n  ');

/** The table of map entries before they shared rows: one row per map, key and keystem. */
export const HAS_KEYSTEM_COUNTS =
  "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'keystem_counts'";

/** Its rows folded into keystem_entries (a refId's four box-type rows become one), then it goes. */
export const MIGRATE_KEYSTEM_COUNTS = `INSERT INTO keystem_entries (keystem, map, key, ${entryValues})
SELECT keystem, ${entryMapOf('map')} AS entry_map, key, ${entryValuesOf('map', 'n')}
FROM keystem_counts GROUP BY keystem, entry_map, key;
DROP TABLE keystem_counts;`;

/** The hour tables before their maps became entry rows: a JSON document in a `maps` column. */
export const HOUR_TABLES_WITH_MAPS = `SELECT m.name FROM sqlite_master AS m, pragma_table_info(m.name) AS c
WHERE m.type = 'table' AND m.name IN ('keystem_hours', 'all_hours') AND c.name = 'maps'`;

/** Their documents as entry rows, then the column goes. */
export const MIGRATE_HOUR_MAPS: Record<string, string> = {
  keystem_hours: `INSERT INTO keystem_hour_entries (keystem, hour, map, key, ${entryValues})
SELECT h.keystem, h.hour, ${entryMapOf('m.key')} AS entry_map, e.key, ${entryValuesOf('m.key', 'e.value')}
FROM keystem_hours AS h, json_each(h.maps) AS m, json_each(m.value) AS e GROUP BY h.keystem, h.hour, entry_map, e.key;
ALTER TABLE keystem_hours DROP COLUMN maps;`,
  all_hours: `INSERT INTO all_hour_entries (hour, map, key, ${entryValues})
SELECT h.hour, ${entryMapOf('m.key')} AS entry_map, e.key, ${entryValuesOf('m.key', 'e.value')}
FROM all_hours AS h, json_each(h.maps) AS m, json_each(m.value) AS e GROUP BY h.hour, entry_map, e.key;
ALTER TABLE all_hours DROP COLUMN maps;`,
};

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS keystems (
  keystem TEXT PRIMARY KEY,
  ${SUM_FIELDS.map((f) => `${column(f)} ${columnType(f)} NOT NULL`).join(',\n  ')},
  max_latency INTEGER NOT NULL,
  max_latency_at TEXT NOT NULL,
  reset_at INTEGER,
  updated_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keystem_entries (
  keystem TEXT NOT NULL,
  map TEXT NOT NULL,
  key TEXT NOT NULL,
  ${ENTRY_VALUE_SQL},
  PRIMARY KEY (map, key, keystem)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keystem_entries_by_keystem ON keystem_entries (keystem);
CREATE TABLE IF NOT EXISTS ledger (
  event_id TEXT PRIMARY KEY,
  applied_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ledger_by_applied_at ON ledger (applied_at);
CREATE TABLE IF NOT EXISTS keystem_hours (
  keystem TEXT NOT NULL,
  hour INTEGER NOT NULL,
  ${SUM_FIELDS.map((f) => `${column(f)} ${columnType(f)} NOT NULL`).join(',\n  ')},
  max_latency INTEGER NOT NULL,
  max_latency_at TEXT NOT NULL,
  PRIMARY KEY (keystem, hour)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keystem_hours_by_hour ON keystem_hours (hour, keystem);
CREATE TABLE IF NOT EXISTS keystem_hour_entries (
  keystem TEXT NOT NULL,
  hour INTEGER NOT NULL,
  map TEXT NOT NULL,
  key TEXT NOT NULL,
  ${ENTRY_VALUE_SQL},
  PRIMARY KEY (keystem, hour, map, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keystem_hour_entries_by_hour ON keystem_hour_entries (hour);
CREATE TABLE IF NOT EXISTS all_hours (
  hour INTEGER PRIMARY KEY,
  ${SUM_FIELDS.map((f) => `${column(f)} ${columnType(f)} NOT NULL`).join(',\n  ')},
  keystems INTEGER NOT NULL,
  max_latency INTEGER NOT NULL,
  max_latency_at TEXT NOT NULL,
  max_latency_keystem TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS all_hour_entries (
  hour INTEGER NOT NULL,
  map TEXT NOT NULL,
  key TEXT NOT NULL,
  ${ENTRY_VALUE_SQL},
  PRIMARY KEY (hour, map, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deployment (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

const insertRow = `INSERT INTO keystems (keystem, ${columns.join(', ')}, max_latency, max_latency_at, reset_at, updated_at)
VALUES (@keystem, ${SUM_FIELDS.map((f) => `@${f}`).join(', ')}, @maxLatency, @maxLatencyAt, @resetAt, @updatedAt)
ON CONFLICT (keystem) DO UPDATE SET`;

/** Adds a row's delta. The max latency moves with its timestamp, ordered as (latency, timestamp) pairs. */
const ADD_SUMS = `${columns.map((c) => `${c} = ${c} + excluded.${c}`).join(',\n  ')},
  max_latency = CASE WHEN (excluded.max_latency, excluded.max_latency_at) > (max_latency, max_latency_at)
    THEN excluded.max_latency ELSE max_latency END,
  max_latency_at = CASE WHEN (excluded.max_latency, excluded.max_latency_at) > (max_latency, max_latency_at)
    THEN excluded.max_latency_at ELSE max_latency_at END`;

export const ADD_TO_KEYSTEM = `${insertRow}
  ${ADD_SUMS},
  updated_at = excluded.updated_at`;

/** A reset: the row becomes the sums accepted since the reset (a tombstone when there are none). */
export const REPLACE_KEYSTEM = `${insertRow}
  ${columns.map((c) => `${c} = excluded.${c}`).join(',\n  ')},
  max_latency = excluded.max_latency,
  max_latency_at = excluded.max_latency_at,
  reset_at = excluded.reset_at,
  updated_at = excluded.updated_at`;

/** Adds an entry's figures; a NULL on either side (the key not in that map) keeps the other. */
const ADD_ENTRY_VALUES = ENTRY_VALUE_COLUMNS.map(
  (c) => `${c} = COALESCE(${c} + excluded.${c}, ${c}, excluded.${c})`,
).join(',\n  ');

export const ADD_ENTRY = `INSERT INTO keystem_entries (keystem, map, key, ${ENTRY_VALUE_COLUMNS.join(', ')})
VALUES (@keystem, @map, @key, ${ENTRY_VALUE_COLUMNS.map((c) => `@${c}`).join(', ')})
ON CONFLICT (map, key, keystem) DO UPDATE SET
  ${ADD_ENTRY_VALUES}`;

export const DELETE_ENTRIES = 'DELETE FROM keystem_entries WHERE keystem = ?';

/** A deployment setting (src/config/shard-count.ts), and whether the store holds anything at all. */
export const DEPLOYMENT_SETTING = 'SELECT value FROM deployment WHERE name = ?';
export const RECORD_DEPLOYMENT_SETTING = 'INSERT OR IGNORE INTO deployment (name, value) VALUES (?, ?)';
export const HOLDS_DATA = `SELECT EXISTS (SELECT 1 FROM keystems) OR EXISTS (SELECT 1 FROM ledger)
  OR EXISTS (SELECT 1 FROM keystem_hours) AS holds`;

export const LEDGER_INSERT = 'INSERT OR IGNORE INTO ledger (event_id, applied_at) VALUES (?, ?)';
export const LEDGER_EXPIRE = 'DELETE FROM ledger WHERE applied_at < ?';

export const RESET_AT = 'SELECT reset_at AS resetAt FROM keystems WHERE keystem = ?';
export const BOX_TYPE_KEYS = "SELECT key FROM keystem_entries WHERE keystem = ? AND map = 'boxTypes'";

/** Keystems whose totalRequests is 0 are reset tombstones: "not found" everywhere. */
const rowFields = `keystem, ${SUM_FIELDS.map((f) => `${column(f)} AS ${f}`).join(', ')},
  max_latency AS maxLatency, max_latency_at AS maxLatencyAt, updated_at AS updatedAt`;

export const GET_KEYSTEM = `SELECT ${rowFields} FROM keystems WHERE keystem = ? AND total_requests > 0`;
export const GET_ENTRIES = `SELECT map, key, ${ENTRY_VALUE_COLUMNS.join(', ')}
FROM keystem_entries WHERE keystem = ? ORDER BY map, key`;

export const SUMMARY_SUMS = `SELECT COUNT(*) AS keystems,
  ${SUM_FIELDS.map((f) => `COALESCE(SUM(${column(f)}), 0) AS ${f}`).join(',\n  ')}
FROM keystems WHERE total_requests > 0`;

export const SUMMARY_ENTRIES = `SELECT map, key, ${ENTRY_VALUE_COLUMNS.map((c) => `SUM(${c}) AS ${c}`).join(', ')}
FROM keystem_entries GROUP BY map, key ORDER BY map, key`;

export const SUMMARY_MAX_LATENCY = `SELECT keystem, max_latency AS latency, max_latency_at AS timeStamp
FROM keystems WHERE total_requests > 0
ORDER BY max_latency DESC, max_latency_at DESC, keystem LIMIT 1`;

export const SUMMARY_HIGHEST_AVG = `SELECT keystem, CAST(latency_sum AS REAL) / latency_count AS latency
FROM keystems WHERE total_requests > 0 AND latency_count > 0
ORDER BY latency DESC, keystem LIMIT 1`;

/** A page of the keystem list with the sums its items show; `prefix` '' matches every keystem. */
export const LIST_KEYSTEMS = `SELECT keystem, ${LIST_FIELDS.map((f) => `${column(f)} AS ${f}`).join(', ')},
  updated_at AS updatedAt
FROM keystems
WHERE total_requests > 0 AND keystem > @after AND keystem >= @prefix AND substr(keystem, 1, length(@prefix)) = @prefix
ORDER BY keystem LIMIT @limit`;

/*
 * History. A keystem-hour is one row of sums plus its map entries (keystem_hour_entries, the
 * same rows as keystem_entries, per hour), so that a read sums both per range in the engine.
 * all_hours and all_hour_entries keep the same per hour across keystems, so /all/history reads
 * one row per hour and key whatever the number of keystems; a reset subtracts the keystem's hours.
 */

const sumParams = SUM_FIELDS.map((f) => `@${f}`).join(', ');

/** Whether the keystem had the hour already (all_hours counts the keystems of each hour). */
export const HOUR_EXISTS = 'SELECT 1 FROM keystem_hours WHERE keystem = ? AND hour = ?';

export const ADD_TO_HOUR = `INSERT INTO keystem_hours (keystem, hour, ${columns.join(', ')}, max_latency, max_latency_at)
VALUES (@keystem, @hour, ${sumParams}, @maxLatency, @maxLatencyAt)
ON CONFLICT (keystem, hour) DO UPDATE SET
  ${ADD_SUMS}`;

export const ADD_TO_ALL_HOUR = `INSERT INTO all_hours (hour, ${columns.join(', ')}, keystems, max_latency, max_latency_at, max_latency_keystem)
VALUES (@hour, ${sumParams}, @keystems, @maxLatency, @maxLatencyAt, @maxLatencyKeystem)
ON CONFLICT (hour) DO UPDATE SET
  ${ADD_SUMS},
  max_latency_keystem = CASE WHEN (excluded.max_latency, excluded.max_latency_at) > (max_latency, max_latency_at)
    THEN excluded.max_latency_keystem ELSE max_latency_keystem END,
  keystems = keystems + excluded.keystems`;

const entryParams = ENTRY_VALUE_COLUMNS.map((c) => `@${c}`).join(', ');

export const ADD_HOUR_ENTRY = `INSERT INTO keystem_hour_entries (keystem, hour, map, key, ${entryValues})
VALUES (@keystem, @hour, @map, @key, ${entryParams})
ON CONFLICT (keystem, hour, map, key) DO UPDATE SET
  ${ADD_ENTRY_VALUES}`;

export const ADD_ALL_HOUR_ENTRY = `INSERT INTO all_hour_entries (hour, map, key, ${entryValues})
VALUES (@hour, @map, @key, ${entryParams})
ON CONFLICT (hour, map, key) DO UPDATE SET
  ${ADD_ENTRY_VALUES}`;

/**
 * A reset, step 1: the keystem's entries out of the all-keystems hours' entries. A figure that
 * comes to zero goes (it was only this keystem's, up to float residue), and so does a row left
 * with none.
 */
export const SUBTRACT_FROM_ALL_HOUR_ENTRIES = `UPDATE all_hour_entries AS a SET
  ${ENTRY_VALUE_COLUMNS.map(
    (c) =>
      `${c} = CASE WHEN e.${c} IS NULL THEN a.${c} WHEN abs(a.${c} - e.${c}) < 1e-9 THEN NULL ELSE a.${c} - e.${c} END`,
  ).join(',\n  ')}
FROM keystem_hour_entries AS e
WHERE e.keystem = ? AND e.hour = a.hour AND e.map = a.map AND e.key = a.key`;
export const DROP_EMPTY_ALL_HOUR_ENTRIES = `DELETE FROM all_hour_entries WHERE ${ENTRY_VALUE_COLUMNS.map((c) => `${c} IS NULL`).join(' AND ')}`;

/** Step 2: its sums and its presence out of every hour it had; hours left empty go. */
export const SUBTRACT_FROM_ALL_HOURS = `UPDATE all_hours SET
  ${columns.map((c) => `${c} = all_hours.${c} - h.${c}`).join(',\n  ')},
  keystems = all_hours.keystems - 1
FROM keystem_hours AS h WHERE h.keystem = ? AND h.hour = all_hours.hour`;
export const DROP_EMPTY_ALL_HOURS = 'DELETE FROM all_hours WHERE keystems <= 0';

/** Step 3: where it held an hour's max latency, the max of the other keystems takes over. */
export const REPLACE_ALL_HOUR_MAX = `UPDATE all_hours SET (max_latency, max_latency_at, max_latency_keystem) = (
  SELECT * FROM (
    SELECT h.max_latency, h.max_latency_at, h.keystem FROM keystem_hours AS h
    WHERE h.hour = all_hours.hour AND h.keystem <> @keystem
    UNION ALL SELECT 0, '', '' -- (none left: an hour whose other rows retention took first)
  ) ORDER BY 1 DESC, 2 DESC, 3 LIMIT 1)
WHERE max_latency_keystem = @keystem`;

/** Step 4: its rows. */
export const DELETE_HOURS = 'DELETE FROM keystem_hours WHERE keystem = ?';
export const DELETE_HOUR_ENTRIES = 'DELETE FROM keystem_hour_entries WHERE keystem = ?';

/** Retention, a bounded slice at a time so that a flush never waits long behind it. */
export const EXPIRE_HOURS = `DELETE FROM keystem_hours WHERE (keystem, hour) IN
  (SELECT keystem, hour FROM keystem_hours WHERE hour < ? ORDER BY hour LIMIT ?)`;
export const EXPIRE_ALL_HOURS = `DELETE FROM all_hours WHERE hour IN
  (SELECT hour FROM all_hours WHERE hour < ? ORDER BY hour LIMIT ?)`;
export const EXPIRE_HOUR_ENTRIES = `DELETE FROM keystem_hour_entries WHERE (keystem, hour, map, key) IN
  (SELECT keystem, hour, map, key FROM keystem_hour_entries WHERE hour < ? ORDER BY hour LIMIT ?)`;
export const EXPIRE_ALL_HOUR_ENTRIES = `DELETE FROM all_hour_entries WHERE (hour, map, key) IN
  (SELECT hour, map, key FROM all_hour_entries WHERE hour < ? ORDER BY hour LIMIT ?)`;

/**
 * The ranges of a history read, passed as one JSON array of [from, to] pairs (ms). ORDER BY
 * tells the planner that `b` comes in index order, so a GROUP BY b.i is streamed per range
 * instead of sorting every hour row first (the sums of a year of hours: ~40% faster).
 */
const RANGES = `WITH b (i, f, t) AS (
  SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?) ORDER BY key
)`;

/**
 * Sums per range, computed by the engine. With exactly one max() in the query, SQLite takes
 * the bare columns (its timestamp, its keystem) from the row holding the max.
 */
function rangeSums(table: string, where: string, keystem: string): string {
  return `${RANGES}
SELECT b.i AS bucket, ${SUM_FIELDS.map((f) => `SUM(h.${column(f)}) AS ${f}`).join(', ')},
  ${table === 'all_hours' ? 'SUM(h.keystems)' : '1'} AS keystems,
  MAX(h.max_latency) AS maxLatency, h.max_latency_at AS maxLatencyAt, ${keystem} AS maxLatencyKeystem
FROM b CROSS JOIN ${table} AS h ON h.hour >= b.f AND h.hour < b.t ${where}
GROUP BY b.i`;
}

export const KEYSTEM_RANGE_SUMS = rangeSums('keystem_hours', 'AND h.keystem = ?', 'h.keystem');
export const ALL_RANGE_SUMS = rangeSums('all_hours', '', 'h.max_latency_keystem');

/** Map entries summed per range by the engine, in the rows of keystem_entries plus `bucket`. */
function rangeEntries(table: string, where: string): string {
  return `${RANGES}
SELECT b.i AS bucket, e.map AS map, e.key AS key, ${ENTRY_VALUE_COLUMNS.map((c) => `SUM(e.${c}) AS ${c}`).join(', ')}
FROM b CROSS JOIN ${table} AS e ON e.hour >= b.f AND e.hour < b.t ${where}
GROUP BY b.i, e.map, e.key`;
}

export const KEYSTEM_RANGE_ENTRIES = rangeEntries('keystem_hour_entries', 'AND e.keystem = ?');
export const ALL_RANGE_ENTRIES = rangeEntries('all_hour_entries', '');

/**
 * Keystems with traffic per point longer than an hour: for each keystem (from its totals row),
 * whether it has an hour in the point — one index probe per keystem and point.
 */
export const KEYSTEMS_PER_RANGE = `${RANGES}
SELECT b.i AS bucket, COUNT(*) AS keystems
FROM b CROSS JOIN keystems AS k
WHERE EXISTS (SELECT 1 FROM keystem_hours AS h WHERE h.keystem = k.keystem AND h.hour >= b.f AND h.hour < b.t)
GROUP BY b.i`;
