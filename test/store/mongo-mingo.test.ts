import { emptyTotals } from '../../src/stats/fold';
import { MongoStore } from '../../src/store/mongo';
import { MingoMongo } from '../helpers/mingo-collection';
import { packEvent } from '../helpers/stats-events';
import { describeStoreConformance, TEST_LEDGER_TTL_MS } from './conformance';
import { PREVIOUS_VERSION_KEYSTEM } from './previous-version';

describeStoreConformance('MongoDB backend over the in-memory (mingo) collection', async (options) => {
  const store = new MongoStore({ port: new MingoMongo(), ledgerTtlMs: TEST_LEDGER_TTL_MS, ...options });
  await store.init();
  return { store, dispose: () => store.close() };
});

describe('MongoStore (in-memory collection)', () => {
  it('refuses a standalone server, saying how to make a replica set', async () => {
    const store = new MongoStore({ port: new MingoMongo({ standalone: true }) });
    await expect(store.init()).rejects.toMatchObject({
      code: 'PACPROXY_ERR_MONGO_STANDALONE',
      message: expect.stringMatching(/--replSet.*rs\.initiate\(\)/),
    });
  });

  it('creates the ledger TTL index, and recreates it when the TTL changes', async () => {
    const port = new MingoMongo();
    await new MongoStore({ port, ledgerTtlMs: 3_600_000 }).init();
    expect(port.ledger.indexes.get('ledger_ttl')).toEqual({
      key: { at: 1 },
      options: { name: 'ledger_ttl', expireAfterSeconds: 3600 },
    });
    await new MongoStore({ port, ledgerTtlMs: 7_200_000 }).init();
    expect(port.ledger.indexes.get('ledger_ttl')?.options.expireAfterSeconds).toBe(7200);
  });

  it('stores one document per keystem with sanitised map keys and the max latency as a pair', async () => {
    const port = new MingoMongo();
    const store = new MongoStore({ port });
    await store.init();
    await store.applyBatch([packEvent('a', 1, { boxTypes: { 'x.y': 2 }, latency: 42, timeStamp: 't' })]);
    expect(port.keystems.docs).toEqual([
      expect.objectContaining({
        _id: 'a',
        totalRequests: 1,
        boxTypes: { 'x\uFF0Ey': 2 },
        statusCodes: { '200': 1 },
        maxLatency: { latency: 42, timeStamp: 't' },
        updatedAt: expect.any(Date),
      }),
    ]);
    expect(port.ledger.docs).toHaveLength(1);
  });

  it('rolls the ledger back with the sums when the bulk write fails, so a retry counts', async () => {
    const port = new MingoMongo();
    const store = new MongoStore({ port });
    await store.init();
    const batch = [packEvent('a', 1), packEvent('a', 2)];
    const bulkWrite = port.keystems.bulkWrite.bind(port.keystems);
    port.keystems.bulkWrite = async () => {
      throw new Error('write failed');
    };
    await expect(store.applyBatch(batch)).rejects.toThrow('write failed');
    expect(port.ledger.docs).toEqual([]);
    port.keystems.bulkWrite = bulkWrite;
    expect(await store.applyBatch(batch)).toEqual({ applied: 2, duplicates: 0, stale: 0 });
    expect((await store.getKeystem('a'))?.totalRequests).toBe(2);
  });

  it('refuses to be used after close', async () => {
    const store = new MongoStore({ port: new MingoMongo() });
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'PACPROXY_ERR_STORE_NOT_READY' });
  });
});

describe('MongoStore upgrade from documents of the previous version', () => {
  it('reads old documents lacking the new fields as zero, and $inc adds to them', async () => {
    const port = new MingoMongo();
    const store = new MongoStore({ port });
    await store.init();
    const old = {
      _id: 'old-ks-001',
      ...PREVIOUS_VERSION_KEYSTEM,
      updatedAt: new Date('2025-03-25T06:00:00.000Z'),
    };
    port.keystems.docs.push(old as unknown as (typeof port.keystems.docs)[number]);
    const { _id: keystem, ...fields } = old;
    expect(await store.getKeystem(keystem)).toEqual({
      ...emptyTotals(),
      ...fields,
      keystem,
      updatedAt: '2025-03-25T06:00:00.000Z',
    });
    expect(await store.getSummary()).toMatchObject({
      keystems: 1,
      totalRequests: 5,
      totalCost: 0,
      choiceGoals: {},
    });

    await store.applyBatch([packEvent('old-ks-001', Date.now(), { totalCost: 240, boxes: 2 })]);
    expect(await store.getKeystem('old-ks-001')).toMatchObject({
      totalRequests: 6,
      totalCost: 240,
      costedPacks: 1,
      totalBoxes: 2,
      choiceGoals: { 'lowest-cost': 1 },
      boxTypes: { '0': 37 },
    });
  });
});

describe('MongoStore history', () => {
  it('keeps one small document per keystem-hour, and a TTL index for the retention', async () => {
    const port = new MingoMongo();
    const store = new MongoStore({ port, historyRetentionMs: 30 * 24 * 3_600_000 });
    await store.init();
    const hour = Date.UTC(2026, 2, 1, 10);
    await store.applyBatch([
      packEvent('a', hour + 1),
      packEvent('a', hour + 2),
      packEvent('a', hour + 3_600_000),
    ]);
    expect(port.hours.docs).toEqual([
      expect.objectContaining({ _id: `${hour}:a`, keystem: 'a', hour: new Date(hour), totalRequests: 2 }),
      expect.objectContaining({ _id: `${hour + 3_600_000}:a`, totalRequests: 1 }),
    ]);
    expect(port.hours.indexes.get('hours_ttl')).toEqual({
      key: { hour: 1 },
      options: { name: 'hours_ttl', expireAfterSeconds: 30 * 24 * 3600 },
    });
  });

  it('drops the TTL index when history is kept forever (HISTORY_RETENTION_DAYS=0)', async () => {
    const port = new MingoMongo();
    await new MongoStore({ port }).init();
    expect(port.hours.indexes.get('hours_ttl')?.options.expireAfterSeconds).toBe(400 * 24 * 3600);
    const forever = new MongoStore({ port, historyRetentionMs: 0 });
    await forever.init();
    expect(port.hours.indexes.has('hours_ttl')).toBe(false);
    expect(port.hours.indexes.has('hours_by_hour')).toBe(true);
    await forever.applyBatch([packEvent('a', Date.UTC(2000, 0, 1))]);
    expect(await forever.expireHistory()).toBe(0);
    expect(port.hours.docs).toHaveLength(1);
  });
});
