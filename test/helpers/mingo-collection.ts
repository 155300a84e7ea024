import { Aggregator, find, Query, update } from 'mingo';
import type {
  AnyBulkWriteOperation,
  CreateIndexesOptions,
  Document,
  Filter,
  FindOptions,
  IndexSpecification,
} from 'mongodb';
import type {
  DocumentCollection,
  DeploymentDoc,
  HourDoc,
  KeystemDoc,
  LedgerDoc,
  MongoPort,
} from '../../src/store/mongo-port';

/**
 * MongoDB in memory, for the store tests on machines without a mongod: the narrow MongoPort
 * over arrays of documents. Filters run through mingo's Query, update documents through mingo's
 * update operators ($inc, $max with BSON ordering of embedded documents, $set), pipelines
 * through mingo's Aggregator — so MongoStore's own queries are executed, not just compiled.
 * What MongoDB would refuse, this refuses too: duplicate `_id`s (E11000), field names with
 * `.` or a leading `$`, index options that conflict. Transactions run one at a time and are
 * undone on throw (snapshot + restore); reads outside a transaction are not isolated from it.
 */

/** An error shaped like the driver's MongoServerError (what MongoStore inspects is `code`). */
export class FakeServerError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'MongoServerError';
  }
}

type AnyObject = Record<string, unknown>;

const clone = <T>(value: T): T => structuredClone(value);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** MongoDB refuses empty path segments and `$`-prefixed names in update paths. */
function checkUpdatePaths(modifier: Record<string, Record<string, unknown>>): void {
  for (const fields of Object.values(modifier)) {
    for (const path of Object.keys(fields)) {
      if (path.split('.').some((segment) => segment === '' || segment.startsWith('$'))) {
        throw new FakeServerError(52, `invalid update path '${path}'`);
      }
    }
  }
}

/** Stored names must be sanitised: a `.` would read as nesting, a leading `$` as an operator. */
function checkStoredNames(doc: unknown, where = ''): void {
  if (!isPlainObject(doc)) return;
  for (const [name, value] of Object.entries(doc)) {
    if (name.includes('.') || name.startsWith('$'))
      throw new FakeServerError(2, `field name '${where}${name}'`);
    checkStoredNames(value, `${where}${name}.`);
  }
}

/** What an upsert starts from: the filter's equality conditions (here, `_id`). */
function seedOf(filter: AnyObject): AnyObject {
  return Object.fromEntries(
    Object.entries(filter).filter(([k, v]) => !k.startsWith('$') && !isPlainObject(v)),
  );
}

type Cursor<T> = { toArray(): Promise<T[]> };

export class MingoCollection<T extends Document & { _id: string }> implements DocumentCollection<T> {
  docs: T[] = [];
  readonly indexes = new Map<string, { key: IndexSpecification; options: CreateIndexesOptions }>();

  async bulkWrite(ops: AnyBulkWriteOperation<T>[]): Promise<unknown> {
    for (const op of ops) {
      if ('updateOne' in op) {
        const { filter, update: modifier, upsert } = op.updateOne;
        if (Array.isArray(modifier)) throw new Error('pipeline updates are not emulated');
        this.upsert(filter as AnyObject, upsert, (doc) => {
          checkUpdatePaths(modifier as Record<string, Record<string, unknown>>);
          update(doc, modifier as AnyObject);
          return doc;
        });
      } else if ('replaceOne' in op) {
        const { filter, replacement, upsert } = op.replaceOne;
        this.upsert(filter as AnyObject, upsert, (doc) => ({ _id: doc._id, ...clone(replacement) }));
      } else {
        throw new Error(`bulkWrite operation not emulated: ${Object.keys(op).join()}`);
      }
    }
    return {};
  }

  /** Updates the first match, or inserts what `change` makes of the filter's seed. */
  private upsert(
    filter: AnyObject,
    upsert: boolean | undefined,
    change: (doc: AnyObject) => AnyObject,
  ): void {
    const query = new Query(filter);
    const index = this.docs.findIndex((d) => query.test(d));
    if (index < 0 && !upsert) return;
    const next = change(index >= 0 ? clone(this.docs[index] as AnyObject) : seedOf(filter));
    checkStoredNames(next);
    if (index >= 0) this.docs[index] = next as T;
    else this.docs.push(next as T);
  }

  find(filter: Filter<T>, options: FindOptions = {}): Cursor<T> {
    return {
      toArray: async () => {
        let cursor = find(this.docs, filter as AnyObject, options.projection as AnyObject | undefined);
        if (options.sort) cursor = cursor.sort(options.sort as Record<string, 1 | -1>);
        if (options.limit) cursor = cursor.limit(options.limit);
        return clone(cursor.all()) as T[];
      },
    };
  }

  async findOne(filter: Filter<T>, options: FindOptions = {}): Promise<T | null> {
    const [first] = await this.find(filter, { ...options, limit: 1 }).toArray();
    return first ?? null;
  }

  async insertMany(docs: T[]): Promise<unknown> {
    const ids = new Set(this.docs.map((d) => d._id));
    for (const doc of docs) {
      if (ids.has(doc._id)) throw new FakeServerError(11000, `E11000 duplicate key error: _id ${doc._id}`);
      checkStoredNames(doc);
      ids.add(doc._id);
      this.docs.push(clone(doc));
    }
    return { insertedCount: docs.length };
  }

  aggregate(pipeline: Document[]): Cursor<Document> {
    return { toArray: async () => new Aggregator(pipeline).run(clone(this.docs)) as Document[] };
  }

  async createIndex(key: IndexSpecification, options: CreateIndexesOptions = {}): Promise<string> {
    const name = options.name ?? JSON.stringify(key);
    const existing = this.indexes.get(name);
    if (existing && JSON.stringify(existing) !== JSON.stringify({ key, options })) {
      throw new FakeServerError(85, `IndexOptionsConflict: an index named ${name} exists with other options`);
    }
    this.indexes.set(name, { key, options });
    return name;
  }

  async dropIndex(name: string): Promise<unknown> {
    if (!this.indexes.delete(name)) throw new FakeServerError(27, `IndexNotFound: ${name}`);
    return {};
  }

  async deleteMany(filter: Filter<T>): Promise<{ deletedCount: number }> {
    const query = new Query(filter as AnyObject);
    const before = this.docs.length;
    this.docs = this.docs.filter((d) => !query.test(d));
    return { deletedCount: before - this.docs.length };
  }
}

/** The MongoPort over three MingoCollections; `standalone` answers `hello` without a set name. */
export class MingoMongo implements MongoPort {
  readonly keystems = new MingoCollection<KeystemDoc>();
  readonly ledger = new MingoCollection<LedgerDoc>();
  readonly hours = new MingoCollection<HourDoc>();
  readonly deployment = new MingoCollection<DeploymentDoc>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: { standalone?: boolean } = {}) {}

  withTransaction<R>(fn: (session: undefined) => Promise<R>): Promise<R> {
    const run = this.queue.then(async () => {
      const snapshot = {
        keystems: clone(this.keystems.docs),
        ledger: clone(this.ledger.docs),
        hours: clone(this.hours.docs),
      };
      try {
        return await fn(undefined);
      } catch (err) {
        this.keystems.docs = snapshot.keystems;
        this.ledger.docs = snapshot.ledger;
        this.hours.docs = snapshot.hours;
        throw err;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('client is closed');
  }

  async replicaSetName(): Promise<string | undefined> {
    return this.options.standalone ? undefined : 'rs0';
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
