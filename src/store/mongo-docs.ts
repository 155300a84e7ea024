import type { AnyBulkWriteOperation, Document } from 'mongodb';
import {
  emptyMaps,
  emptyTotals,
  MAP_FIELDS,
  SUM_FIELDS,
  sumsOf,
  type AggregateUpdate,
  type HourUpdate,
  type MapField,
  type SumField,
} from '../stats/fold';
import type { KeystemTotals, SummaryTotals, Totals } from '../stats/types';
import type { HourDoc, KeystemDoc } from './mongo-port';
import { LIST_FIELDS, type HourRange, type KeystemListRow, type SummaryPointTotals } from './types';

/** How MongoStore's writes and reads are spelled in MongoDB's language (pure; no I/O). */

/**
 * One keystem's write in the flush's bulkWrite. Increments: `$inc` for every sum and map entry,
 * `$max` on the `{latency, timeStamp}` pair (MongoDB compares embedded documents field by field,
 * so the pair moves together), `$set` updatedAt. A reset replaces the document with the sums
 * accepted since, and records when it happened.
 */
export function keystemWrite(
  keystem: string,
  { reset, delta }: AggregateUpdate,
  now: Date,
): AnyBulkWriteOperation<KeystemDoc> {
  const maxLatency = { latency: delta.maxLatency.latency, timeStamp: delta.maxLatency.timeStamp };
  if (reset !== undefined) {
    return {
      replaceOne: {
        filter: { _id: keystem },
        replacement: {
          ...sumsOf(delta),
          ...mapsOf(delta),
          maxLatency,
          updatedAt: now,
          resetAt: new Date(reset),
        },
        upsert: true,
      },
    };
  }
  return {
    updateOne: {
      filter: { _id: keystem },
      update: { $inc: increments(delta), $max: { maxLatency }, $set: { updatedAt: now } },
      upsert: true,
    },
  };
}

/** `$inc` of a delta: every sum, and every map entry by its dotted path. */
function increments(delta: Totals): Record<string, number> {
  const inc: Record<string, number> = sumsOf(delta);
  for (const map of MAP_FIELDS) {
    for (const [key, n] of Object.entries(delta[map])) inc[`${map}.${key}`] = n;
  }
  return inc;
}

/**
 * One keystem-hour's write: the same increments on one small document per keystem and hour
 * (never one growing document per keystem); the filter's equalities seed a new one.
 */
export function hourWrite({ keystem, hour, delta }: HourUpdate): AnyBulkWriteOperation<HourDoc> {
  const maxLatency = { latency: delta.maxLatency.latency, timeStamp: delta.maxLatency.timeStamp };
  return {
    updateOne: {
      filter: { _id: `${hour}:${keystem}`, keystem, hour: new Date(hour) },
      update: { $inc: increments(delta), $max: { maxLatency } },
      upsert: true,
    },
  };
}

/** The maps of a document; a map missing from it (written before the map existed) is empty. */
function mapsOf(
  doc: Partial<Record<MapField, Record<string, number>>>,
): Record<MapField, Record<string, number>> {
  return { ...emptyMaps(), ...Object.fromEntries(MAP_FIELDS.flatMap((m) => (doc[m] ? [[m, doc[m]]] : []))) };
}

export function keystemTotals(doc: KeystemDoc): KeystemTotals {
  return {
    keystem: doc._id,
    ...sumsOf(doc),
    ...mapsOf(doc),
    maxLatency: { latency: doc.maxLatency?.latency ?? 0, timeStamp: doc.maxLatency?.timeStamp ?? '' },
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/** Keystems whose totalRequests is 0 are reset tombstones: "not found" everywhere. */
export const LIVE = { totalRequests: { $gt: 0 } } as const;

const countsOf = (map: string): Document[] => [
  { $project: { kv: { $objectToArray: { $ifNull: [`$${map}`, {}] } } } },
  { $unwind: '$kv' },
  { $group: { _id: '$kv.k', n: { $sum: '$kv.v' } } },
];

/** `/api/keydata/all` in one aggregation, computed by the database. */
export const SUMMARY_PIPELINE: Document[] = [
  { $match: LIVE },
  {
    $facet: {
      sums: [
        {
          $group: {
            _id: null,
            keystems: { $sum: 1 },
            ...Object.fromEntries(SUM_FIELDS.map((f) => [f, { $sum: `$${f}` }])),
          },
        },
      ],
      ...Object.fromEntries(MAP_FIELDS.map((map) => [map, countsOf(map)])),
      maxLatency: [
        { $sort: { 'maxLatency.latency': -1, 'maxLatency.timeStamp': -1, _id: 1 } },
        { $limit: 1 },
        { $project: { maxLatency: 1 } },
      ],
      highestAvgLatency: [
        { $match: { latencyCount: { $gt: 0 } } },
        { $project: { latency: { $divide: ['$latencySum', '$latencyCount'] } } },
        { $sort: { latency: -1, _id: 1 } },
        { $limit: 1 },
      ],
    },
  },
];

type Counts = { _id: string; n: number }[];
type Facets = Record<MapField, Counts> & {
  sums: (Record<SumField, number> & { keystems: number })[];
  maxLatency: { _id: string; maxLatency: { latency: number; timeStamp: string } }[];
  highestAvgLatency: { _id: string; latency: number }[];
};

/** Reshapes the pipeline's one result document (no arithmetic happens here). */
export function summaryTotals(result: Document | undefined): SummaryTotals {
  const facets = (result ?? {
    sums: [],
    ...Object.fromEntries(MAP_FIELDS.map((m) => [m, []])),
    maxLatency: [],
    highestAvgLatency: [],
  }) as Facets;
  const [sums] = facets.sums;
  const [max] = facets.maxLatency;
  const [avg] = facets.highestAvgLatency;
  const toMap = (rows: Counts) => Object.fromEntries(rows.map((r) => [r._id, r.n]));
  return {
    keystems: sums?.keystems ?? 0,
    ...sumsOf(sums ?? {}),
    ...(Object.fromEntries(MAP_FIELDS.map((m) => [m, toMap(facets[m])])) as Record<
      MapField,
      Record<string, number>
    >),
    maxLatency: max
      ? { latency: max.maxLatency.latency, timeStamp: max.maxLatency.timeStamp, usedKeystem: max._id }
      : { latency: 0, timeStamp: '', usedKeystem: '' },
    highestAvgLatency: avg ? { latency: avg.latency, usedKeystem: avg._id } : null,
  };
}

/**
 * A history read in one aggregation: each hour document goes to the range it falls in (ranges
 * are in order and contiguous: the index is how many range starts lie at or before its hour),
 * then sums, keystems with traffic, the max latency and the maps are grouped per range.
 */
export function historyPipeline(ranges: readonly HourRange[], keystem?: string): Document[] {
  const starts = ranges.map((r) => new Date(r.from));
  const first = ranges[0]?.from ?? 0;
  const last = ranges.at(-1)?.to ?? 0;
  return [
    {
      $match: {
        ...(keystem === undefined ? {} : { keystem }),
        hour: { $gte: new Date(first), $lt: new Date(last) },
      },
    },
    {
      $addFields: {
        bucket: {
          $subtract: [
            { $size: { $filter: { input: starts, as: 's', cond: { $lte: ['$$s', '$hour'] } } } },
            1,
          ],
        },
      },
    },
    {
      $facet: {
        sums: [
          { $sort: { 'maxLatency.latency': -1, 'maxLatency.timeStamp': -1, keystem: 1 } },
          {
            $group: {
              _id: '$bucket',
              keystems: { $addToSet: '$keystem' },
              ...Object.fromEntries(SUM_FIELDS.map((f) => [f, { $sum: `$${f}` }])),
              maxLatency: { $first: '$maxLatency' },
              maxLatencyKeystem: { $first: '$keystem' },
            },
          },
        ],
        counts: [
          { $project: { bucket: 1, kv: { $concatArrays: MAP_FIELDS.map((m) => mapEntries(m)) } } },
          { $unwind: '$kv' },
          { $group: { _id: { b: '$bucket', m: '$kv.m', k: '$kv.k' }, n: { $sum: '$kv.v' } } },
        ],
      },
    },
  ];
}

/** A map's entries as `{m, k, v}` documents, to group every map in one pass. */
function mapEntries(map: MapField): Document {
  return {
    $map: {
      input: { $objectToArray: { $ifNull: [`$${map}`, {}] } },
      as: 'e',
      in: { m: map, k: '$$e.k', v: '$$e.v' },
    },
  };
}

type HistoryFacets = {
  sums: (Record<SumField, number> & {
    _id: number;
    keystems: string[];
    maxLatency: { latency: number; timeStamp: string };
    maxLatencyKeystem: string;
  })[];
  counts: { _id: { b: number; m: MapField; k: string }; n: number }[];
};

/** The pipeline's one result as one point per range (zeros where nothing was recorded). */
export function historyPoints(
  ranges: readonly HourRange[],
  result: Document | undefined,
): SummaryPointTotals[] {
  const facets = (result ?? { sums: [], counts: [] }) as HistoryFacets;
  const points: SummaryPointTotals[] = ranges.map(() => ({
    ...emptyTotals(),
    keystems: 0,
    maxLatency: { latency: 0, timeStamp: '', usedKeystem: '' },
  }));
  for (const row of facets.sums) {
    const point = points[row._id];
    if (!point) continue;
    Object.assign(point, sumsOf(row), {
      keystems: row.keystems.length,
      maxLatency: {
        latency: row.maxLatency.latency,
        timeStamp: row.maxLatency.timeStamp,
        usedKeystem: row.maxLatencyKeystem,
      },
    });
  }
  for (const { _id, n } of facets.counts) {
    const point = points[_id.b];
    if (point) point[_id.m][_id.k] = n;
  }
  return points;
}

/** The fields of a keystem document an item of the keystem list is computed from. */
export const LIST_PROJECTION = Object.fromEntries([...LIST_FIELDS, 'updatedAt'].map((f) => [f, 1])) as Record<
  (typeof LIST_FIELDS)[number] | 'updatedAt',
  1
>;

export function listRow(doc: KeystemDoc): KeystemListRow {
  return {
    keystem: doc._id,
    ...(Object.fromEntries(LIST_FIELDS.map((f) => [f, doc[f] ?? 0])) as Record<
      (typeof LIST_FIELDS)[number],
      number
    >),
    updatedAt: doc.updatedAt.toISOString(),
  };
}
