import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { MongoStore } from '../../src/store/mongo';
import { mongoPort } from '../../src/store/mongo-port';
import { describeStoreConformance, TEST_LEDGER_TTL_MS } from './conformance';

/**
 * The same suite against a real MongoDB (a replica set: transactions), only when MONGODB_URL
 * is set, e.g. MONGODB_URL='mongodb://127.0.0.1:27017/?replicaSet=rs0'. Otherwise jest reports
 * these tests as skipped. Each test gets a database of its own, dropped after.
 */
const url = process.env.MONGODB_URL;

describeStoreConformance(
  'real MongoDB at MONGODB_URL',
  async (options) => {
    const dbName = `pacproxy_test_${randomUUID().slice(0, 8)}`;
    const store = new MongoStore({
      port: mongoPort(url as string, dbName),
      ledgerTtlMs: TEST_LEDGER_TTL_MS,
      ...options,
    });
    await store.init();
    return {
      store,
      dispose: async () => {
        await store.close();
        const admin = new MongoClient(url as string);
        await admin.db(dbName).dropDatabase();
        await admin.close();
      },
    };
  },
  { skip: !url },
);
