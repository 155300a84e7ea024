import {
  MongoClient,
  type AggregateOptions,
  type AnyBulkWriteOperation,
  type BulkWriteOptions,
  type ClientSession,
  type CreateIndexesOptions,
  type DeleteOptions,
  type Document,
  type Filter,
  type FindOptions,
  type IndexSpecification,
} from 'mongodb';
import type { MapField, SumField } from '../stats/fold';
import type { MaxLatency } from '../stats/types';

/**
 * Exactly what MongoStore uses of MongoDB, and no more: four collections, a transaction runner,
 * ping and the replica-set check. The real driver satisfies it (`mongoPort`); so does the
 * in-memory collection the tests use, which evaluates the same update documents and pipelines.
 */

/** One document per keystem; `_id` is the keystem. Map keys are sanitised by the fold. */
export type KeystemDoc = Record<SumField, number> &
  Record<MapField, Record<string, number>> & {
    _id: string;
    maxLatency: MaxLatency;
    updatedAt: Date;
    /** when the keystem was last reset; events accepted before it are stale */
    resetAt?: Date;
  };

/** One keystem's sums for one UTC hour (history); `_id` is `${hour ms}:${keystem}`. */
export type HourDoc = Record<SumField, number> &
  Record<MapField, Record<string, number>> & {
    _id: string;
    keystem: string;
    /** the start of the UTC hour its events were accepted in */
    hour: Date;
    maxLatency: MaxLatency;
  };

/** A deployment setting (src/config/shard-count.ts); `_id` is its name. */
export interface DeploymentDoc {
  _id: string;
  value: number;
}

/** An applied event id; a TTL index on `at` forgets it after the ledger's time-to-live. */
export interface LedgerDoc {
  _id: string;
  at: Date;
}

export interface DocumentCollection<T extends Document> {
  bulkWrite(ops: AnyBulkWriteOperation<T>[], options?: BulkWriteOptions): Promise<unknown>;
  find(filter: Filter<T>, options?: FindOptions): { toArray(): Promise<T[]> };
  findOne(filter: Filter<T>, options?: FindOptions): Promise<T | null>;
  insertMany(docs: T[], options?: BulkWriteOptions): Promise<unknown>;
  aggregate(pipeline: Document[], options?: AggregateOptions): { toArray(): Promise<Document[]> };
  createIndex(spec: IndexSpecification, options?: CreateIndexesOptions): Promise<string>;
  dropIndex(name: string): Promise<unknown>;
  deleteMany(filter: Filter<T>, options?: DeleteOptions): Promise<{ deletedCount: number }>;
}

export interface MongoPort {
  keystems: DocumentCollection<KeystemDoc>;
  ledger: DocumentCollection<LedgerDoc>;
  hours: DocumentCollection<HourDoc>;
  deployment: DocumentCollection<DeploymentDoc>;
  /** Runs `fn` in one transaction (retried as a whole on transient errors); pass the session on. */
  withTransaction<R>(fn: (session: ClientSession | undefined) => Promise<R>): Promise<R>;
  ping(): Promise<void>;
  /** The replica set's name from `hello`; undefined for a standalone server (no transactions). */
  replicaSetName(): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * The real thing over one MongoClient. Connects on first use. Transactions read a snapshot and
 * commit with majority write concern, so an acknowledged batch survives a primary's failover.
 */
/** How long a commit may wait for the majority before it fails (and the batch is retried). */
const COMMIT_TIMEOUT_MS = 5000;

export function mongoPort(url: string, dbName: string): MongoPort {
  const client = new MongoClient(url, { appName: 'pacproxy', serverSelectionTimeoutMS: 5000 });
  const db = client.db(dbName);
  return {
    keystems: db.collection<KeystemDoc>('keystems'),
    ledger: db.collection<LedgerDoc>('ledger'),
    hours: db.collection<HourDoc>('keystem_hours'),
    deployment: db.collection<DeploymentDoc>('deployment'),
    async withTransaction(fn) {
      // One attempt, not the driver's withTransaction (which retries for up to 120 s): the shard
      // consumer retries under its own store-write deadline, and a lease must not wait on this.
      const session = client.startSession();
      try {
        session.startTransaction({
          readConcern: { level: 'snapshot' },
          writeConcern: { w: 'majority', wtimeoutMS: COMMIT_TIMEOUT_MS },
          maxCommitTimeMS: COMMIT_TIMEOUT_MS,
        });
        const result = await fn(session);
        await session.commitTransaction();
        return result;
      } catch (err) {
        if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
        throw err;
      } finally {
        await session.endSession();
      }
    },
    async ping() {
      await db.command({ ping: 1 });
    },
    async replicaSetName() {
      const hello = await db.admin().command({ hello: 1 });
      return typeof hello.setName === 'string' ? hello.setName : undefined;
    },
    close: () => client.close(),
  };
}
