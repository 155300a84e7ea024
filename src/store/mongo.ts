import { foldBatch, hourOf, keystemsOf } from '../stats/fold';
import type { KeystemTotals, StatsEvent, SummaryTotals, Totals } from '../stats/types';
import { notReady, StoreError } from './errors';
import {
  historyPipeline,
  historyPoints,
  hourWrite,
  keystemTotals,
  keystemWrite,
  LIST_PROJECTION,
  listRow,
  LIVE,
  SUMMARY_PIPELINE,
  summaryTotals,
} from './mongo-docs';
import type { DocumentCollection, MongoPort } from './mongo-port';
import { pageOf } from './page';
import {
  DEFAULT_HISTORY_RETENTION_MS,
  DEFAULT_MAX_BOX_TYPES_PER_KEYSTEM,
  DEFAULT_LEDGER_TTL_MS,
  type ApplyResult,
  type ExpiringLedger,
  type HourRange,
  type KeystemPage,
  type PageQuery,
  type ShardCountProposal,
  type StatsStore,
  type StoreOptions,
  type SummaryPointTotals,
} from './types';

export interface MongoStoreOptions extends StoreOptions {
  port: MongoPort;
}

/** MongoDB error codes for an index that exists with other options. */
const INDEX_CONFLICT = new Set([85, 86]);
const LEDGER_TTL_INDEX = 'ledger_ttl';
const HOURS_TTL_INDEX = 'hours_ttl';
const INDEX_NOT_FOUND = 27;
const DUPLICATE_KEY = 11000;
/** The deployment setting that holds the shard count. */
const SHARDS_SETTING = 'shards';

/**
 * The deployment store: one document per keystem, updated by `$inc`/`$max` in one bulkWrite,
 * with the ledger, in one transaction (MongoDB needs a replica set for that; a one-node
 * replica set will do). The summary is one aggregation pipeline run by the database.
 */
export class MongoStore implements StatsStore, ExpiringLedger {
  private port: MongoPort | null;
  private readonly ledgerTtlMs: number;
  private readonly historyRetentionMs: number;
  private readonly maxBoxTypes: number;

  constructor(options: MongoStoreOptions) {
    this.port = options.port;
    this.ledgerTtlMs = options.ledgerTtlMs ?? DEFAULT_LEDGER_TTL_MS;
    this.historyRetentionMs = options.historyRetentionMs ?? DEFAULT_HISTORY_RETENTION_MS;
    this.maxBoxTypes = options.maxBoxTypesPerKeystem ?? DEFAULT_MAX_BOX_TYPES_PER_KEYSTEM;
  }

  async init(): Promise<void> {
    const port = this.ready();
    if (!(await port.replicaSetName())) {
      throw new StoreError(
        'PACPROXY_ERR_MONGO_STANDALONE',
        'MongoDB is a standalone server, but the stats store needs transactions, which need a replica set: ' +
          'start mongod with --replSet rs0 and run rs.initiate() once (a one-node replica set is enough)',
      );
    }
    await ensureTtlIndex(port.ledger, { at: 1 }, LEDGER_TTL_INDEX, this.ledgerTtlMs);
    // history: a keystem's range reads, the all-keystems reads, and retention by MongoDB itself
    await port.hours.createIndex({ keystem: 1, hour: 1 }, { name: 'hours_by_keystem' });
    if (this.historyRetentionMs > 0) {
      await ensureTtlIndex(port.hours, { hour: 1 }, HOURS_TTL_INDEX, this.historyRetentionMs);
    } else {
      await dropIndexIfAny(port.hours, HOURS_TTL_INDEX);
      await port.hours.createIndex({ hour: 1 }, { name: 'hours_by_hour' });
    }
    await this.expireLedger();
  }

  async applyBatch(events: readonly StatsEvent[]): Promise<ApplyResult> {
    const port = this.ready();
    return port.withTransaction(async (session) => {
      const now = new Date();
      // A duplicate key aborts a MongoDB transaction, so learn which ids are known first.
      const ids = [...new Set(events.map((e) => e.eventId))];
      const known = await port.ledger
        .find({ _id: { $in: ids } }, { session, projection: { _id: 1 } })
        .toArray();
      const seen = new Set(known.map((d) => d._id));
      const fresh: StatsEvent[] = [];
      for (const e of events) {
        if (seen.has(e.eventId)) continue;
        seen.add(e.eventId); // an id twice in one batch counts once
        fresh.push(e);
      }
      if (fresh.length > 0) {
        await port.ledger.insertMany(
          fresh.map((e) => ({ _id: e.eventId, at: now })),
          { session },
        );
      }
      const docs = await port.keystems
        .find({ _id: { $in: keystemsOf(fresh) } }, { session, projection: { resetAt: 1, boxTypes: 1 } })
        .toArray();
      const lastResets = new Map(docs.flatMap((d) => (d.resetAt ? [[d._id, d.resetAt.getTime()]] : [])));
      const stored = new Map(docs.map((d) => [d._id, new Set(Object.keys(d.boxTypes ?? {}))]));
      const fold = foldBatch(fresh, lastResets, { max: this.maxBoxTypes, stored });
      const writes = [...fold.updates].map(([keystem, update]) => keystemWrite(keystem, update, now));
      if (writes.length > 0) await port.keystems.bulkWrite(writes, { session, ordered: true });
      const reset = [...fold.updates].flatMap(([keystem, u]) => (u.reset === undefined ? [] : [keystem]));
      if (reset.length > 0) await port.hours.deleteMany({ keystem: { $in: reset } }, { session });
      if (fold.hours.length > 0) {
        await port.hours.bulkWrite(fold.hours.map(hourWrite), { session, ordered: false });
      }
      return { applied: fold.applied, duplicates: events.length - fresh.length, stale: fold.stale };
    });
  }

  async expireLedger(now = Date.now()): Promise<number> {
    const { deletedCount } = await this.ready().ledger.deleteMany({
      at: { $lt: new Date(now - this.ledgerTtlMs) },
    });
    return deletedCount;
  }

  /** MongoDB's TTL monitor removes old history by itself (about once a minute); this does it now. */
  async expireHistory(now = Date.now()): Promise<number> {
    if (this.historyRetentionMs <= 0) return 0;
    const { deletedCount } = await this.ready().hours.deleteMany({
      hour: { $lt: new Date(hourOf(now - this.historyRetentionMs)) },
    });
    return deletedCount;
  }

  async getKeystemHistory(keystem: string, ranges: readonly HourRange[]): Promise<Totals[]> {
    const [result] = await this.ready().hours.aggregate(historyPipeline(ranges, keystem)).toArray();
    return historyPoints(ranges, result).map(({ keystems: _, maxLatency, ...t }) => ({
      ...t,
      maxLatency: { latency: maxLatency.latency, timeStamp: maxLatency.timeStamp },
    }));
  }

  async getSummaryHistory(ranges: readonly HourRange[]): Promise<SummaryPointTotals[]> {
    const [result] = await this.ready().hours.aggregate(historyPipeline(ranges)).toArray();
    return historyPoints(ranges, result);
  }

  async getKeystem(keystem: string): Promise<KeystemTotals | null> {
    const doc = await this.ready().keystems.findOne({ _id: keystem, ...LIVE });
    return doc ? keystemTotals(doc) : null;
  }

  async getSummary(): Promise<SummaryTotals> {
    const [result] = await this.ready().keystems.aggregate(SUMMARY_PIPELINE).toArray();
    return summaryTotals(result);
  }

  async listKeystems(page: PageQuery): Promise<KeystemPage> {
    const id = {
      ...(page.after === undefined ? {} : { $gt: page.after }),
      ...(page.prefix ? { $regex: `^${page.prefix.replace(/[^A-Za-z0-9]/g, '\\$&')}` } : {}),
    };
    const filter = Object.keys(id).length === 0 ? LIVE : { ...LIVE, _id: id };
    const docs = await this.ready()
      .keystems.find(filter, { projection: LIST_PROJECTION, sort: { _id: 1 }, limit: page.limit + 1 })
      .toArray();
    return pageOf(docs.map(listRow), page.limit);
  }

  async recordedShardCount(): Promise<number | null> {
    return (await this.ready().deployment.findOne({ _id: SHARDS_SETTING }))?.value ?? null;
  }

  async recordShardCount(proposal: ShardCountProposal): Promise<number> {
    const port = this.ready();
    const recorded = await this.recordedShardCount();
    if (recorded !== null) return recorded;
    const holds =
      (await port.keystems.findOne({}, { projection: { _id: 1 } })) !== null ||
      (await port.ledger.findOne({}, { projection: { _id: 1 } })) !== null ||
      (await port.hours.findOne({}, { projection: { _id: 1 } })) !== null;
    try {
      await port.deployment.insertMany([
        { _id: SHARDS_SETTING, value: holds ? proposal.written : proposal.fresh },
      ]);
    } catch (err) {
      // another process starting at the same time recorded it first: its count stands
      if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
    }
    const stored = await this.recordedShardCount();
    if (stored === null) throw new Error('the shard count recorded in MongoDB is gone');
    return stored;
  }

  async ping(): Promise<void> {
    await this.ready().ping();
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    await port?.close();
  }

  private ready(): MongoPort {
    if (!this.port) throw notReady();
    return this.port;
  }
}

/** A TTL index on `key`; recreated when the time-to-live changed since it was made. */
async function ensureTtlIndex<T extends { _id: string }>(
  collection: DocumentCollection<T>,
  key: Record<string, 1>,
  name: string,
  ttlMs: number,
): Promise<void> {
  const create = () => collection.createIndex(key, { name, expireAfterSeconds: Math.ceil(ttlMs / 1000) });
  try {
    await create();
  } catch (err) {
    if (!INDEX_CONFLICT.has((err as { code?: number }).code ?? 0)) throw err;
    await collection.dropIndex(name);
    await create();
  }
}

async function dropIndexIfAny<T extends { _id: string }>(collection: DocumentCollection<T>, name: string) {
  try {
    await collection.dropIndex(name);
  } catch (err) {
    if ((err as { code?: number }).code !== INDEX_NOT_FOUND) throw err;
  }
}
