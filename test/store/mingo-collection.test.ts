import { MingoMongo } from '../helpers/mingo-collection';

/** The in-memory MongoDB must refuse what MongoDB refuses, or the store tests prove less. */
describe('MingoMongo (test double for MongoDB)', () => {
  it('upserts with update operators: $inc on missing fields, $max on embedded documents, $set', async () => {
    const db = new MingoMongo();
    const op = (latency: number, timeStamp: string) => ({
      updateOne: {
        filter: { _id: 'k' },
        update: { $inc: { totalRequests: 1, 'boxTypes.0': 2 }, $max: { maxLatency: { latency, timeStamp } } },
        upsert: true,
      },
    });
    await db.keystems.bulkWrite([op(5, 'b'), op(5, 'a'), op(3, 'z')]);
    expect(db.keystems.docs).toEqual([
      { _id: 'k', totalRequests: 3, boxTypes: { '0': 6 }, maxLatency: { latency: 5, timeStamp: 'b' } },
    ]);
  });

  it('refuses duplicate ids, unsanitised field names and $-prefixed update paths', async () => {
    const db = new MingoMongo();
    await db.ledger.insertMany([{ _id: 'e1', at: new Date() }]);
    await expect(db.ledger.insertMany([{ _id: 'e1', at: new Date() }])).rejects.toMatchObject({
      code: 11000,
    });
    const upsert = (update: object) =>
      db.keystems.bulkWrite([{ updateOne: { filter: { _id: 'k' }, update, upsert: true } }]);
    await expect(upsert({ $inc: { 'boxTypes.$x': 1 } })).rejects.toMatchObject({ code: 52 });
    await expect(upsert({ $inc: { 'boxTypes.': 1 } })).rejects.toMatchObject({ code: 52 });
    await expect(
      db.keystems.bulkWrite([
        {
          replaceOne: {
            filter: { _id: 'k' },
            replacement: { boxTypes: { 'a.b': 1 } } as never,
            upsert: true,
          },
        },
      ]),
    ).rejects.toMatchObject({ code: 2 });
  });

  it('undoes a transaction that throws, in every collection', async () => {
    const db = new MingoMongo();
    await db.ledger.insertMany([{ _id: 'before', at: new Date() }]);
    await expect(
      db.withTransaction(async () => {
        await db.ledger.insertMany([{ _id: 'inside', at: new Date() }]);
        await db.ledger.insertMany([{ _id: 'before', at: new Date() }]);
      }),
    ).rejects.toMatchObject({ code: 11000 });
    expect(db.ledger.docs.map((d) => d._id)).toEqual(['before']);
  });
});
