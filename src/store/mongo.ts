import { foldBatch, keystemsOf } from '../stats/fold';
import type { KeystemTotals, StatsEvent, SummaryTotals } from '../stats/types';
import { notReady, StoreError } from './errors';
import { keystemTotals, keystemWrite, LIVE, SUMMARY_PIPELINE, summaryTotals } from './mongo-docs';
import type { MongoPort } from './mongo-port';
import { pageOf } from './page';
import {
  DEFAULT_LEDGER_TTL_MS,
  type ApplyResult,
  type ExpiringLedger,
  type KeystemPage,
  type StatsStore,
  type StoreOptions,
} from './types';

export interface MongoStoreOptions extends StoreOptions {
  port: MongoPort;
}

/** MongoDB error codes for an index that exists with other options. */
const INDEX_CONFLICT = new Set([85, 86]);
const LEDGER_TTL_INDEX = 'ledger_ttl';

/**
 * The deployment store: one document per keystem, updated by `$inc`/`$max` in one bulkWrite,
 * with the ledger, in one transaction (MongoDB needs a replica set for that; a one-node
 * replica set will do). The summary is one aggregation pipeline run by the database.
 */
export class MongoStore implements StatsStore, ExpiringLedger {
  private port: MongoPort | null;
  private readonly ledgerTtlMs: number;

  constructor(options: MongoStoreOptions) {
    this.port = options.port;
    this.ledgerTtlMs = options.ledgerTtlMs ?? DEFAULT_LEDGER_TTL_MS;
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
    await this.ensureLedgerTtlIndex(port);
    await this.expireLedger();
  }

  /** The TTL index on `ledger.at`; recreated when LEDGER_TTL changed since it was made. */
  private async ensureLedgerTtlIndex(port: MongoPort): Promise<void> {
    const create = () =>
      port.ledger.createIndex(
        { at: 1 },
        { name: LEDGER_TTL_INDEX, expireAfterSeconds: Math.ceil(this.ledgerTtlMs / 1000) },
      );
    try {
      await create();
    } catch (err) {
      if (!INDEX_CONFLICT.has((err as { code?: number }).code ?? 0)) throw err;
      await port.ledger.dropIndex(LEDGER_TTL_INDEX);
      await create();
    }
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
      const resets = await port.keystems
        .find({ _id: { $in: keystemsOf(fresh) } }, { session, projection: { resetAt: 1 } })
        .toArray();
      const lastResets = new Map(resets.flatMap((d) => (d.resetAt ? [[d._id, d.resetAt.getTime()]] : [])));
      const fold = foldBatch(fresh, lastResets);
      const writes = [...fold.updates].map(([keystem, update]) => keystemWrite(keystem, update, now));
      if (writes.length > 0) await port.keystems.bulkWrite(writes, { session, ordered: true });
      return { applied: fold.applied, duplicates: events.length - fresh.length, stale: fold.stale };
    });
  }

  async expireLedger(now = Date.now()): Promise<number> {
    const { deletedCount } = await this.ready().ledger.deleteMany({
      at: { $lt: new Date(now - this.ledgerTtlMs) },
    });
    return deletedCount;
  }

  async getKeystem(keystem: string): Promise<KeystemTotals | null> {
    const doc = await this.ready().keystems.findOne({ _id: keystem, ...LIVE });
    return doc ? keystemTotals(doc) : null;
  }

  async getSummary(): Promise<SummaryTotals> {
    const [result] = await this.ready().keystems.aggregate(SUMMARY_PIPELINE).toArray();
    return summaryTotals(result);
  }

  async listKeystems(page: { limit: number; after?: string }): Promise<KeystemPage> {
    const filter = page.after === undefined ? LIVE : { ...LIVE, _id: { $gt: page.after } };
    const docs = await this.ready()
      .keystems.find(filter, { projection: { _id: 1 }, sort: { _id: 1 }, limit: page.limit + 1 })
      .toArray();
    return pageOf(
      docs.map((d) => d._id),
      page.limit,
    );
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
