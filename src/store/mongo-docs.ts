import type { AnyBulkWriteOperation, Document } from 'mongodb';
import {
  emptyMaps,
  MAP_FIELDS,
  SUM_FIELDS,
  sumsOf,
  type AggregateUpdate,
  type MapField,
  type SumField,
} from '../stats/fold';
import type { KeystemTotals, SummaryTotals } from '../stats/types';
import type { KeystemDoc } from './mongo-port';

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
  const inc: Record<string, number> = sumsOf(delta);
  for (const map of MAP_FIELDS) {
    for (const [key, n] of Object.entries(delta[map])) inc[`${map}.${key}`] = n;
  }
  return {
    updateOne: {
      filter: { _id: keystem },
      update: { $inc: inc, $max: { maxLatency }, $set: { updatedAt: now } },
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
