import { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { RequestCache, type CachedAnswer } from '../../src/cache/request-cache';
import { createLogger } from '../../src/log/logger';
import { Metrics } from '../../src/metrics/metrics';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';

const request = { requestId: 'r-1', orderId: 'o-1', itemSets: [{ refId: 0, quantity: 1 }] };
const answerJson = { usedKeyStem: 'stem-AAAA1', lenItems: 1, boxes: [] };
const answer = (json: unknown = answerJson, status = 200): CachedAnswer => ({
  status,
  contentType: 'application/json; charset=utf-8',
  body: Buffer.from(JSON.stringify(json)),
  json,
});

describe('RequestCache against a real redis-server', () => {
  let redisProcess: RedisProcess;
  let admin: Redis;
  const logLines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _enc, cb) {
        logLines.push(chunk.toString());
        cb();
      },
    }),
  );
  let metrics: Metrics;
  let cache: RequestCache;
  const lookups = async (result: string) =>
    (await metrics.cacheLookups.get()).values.find((v) => v.labels.result === result)?.value ?? 0;

  const makeCache = async (overrides: { ttlSeconds?: number; maxBytes?: number } = {}) => {
    const c = new RequestCache({
      redis: redisProcess.url,
      ttlSeconds: 60,
      maxBytes: 10_000,
      logger,
      metrics,
      ...overrides,
    });
    await c.start();
    return c;
  };

  /** `set` is fire-and-forget: wait until the value is really in Redis. */
  const stored = (key: string) => waitFor(async () => (await admin.exists(key)) === 1, { what: key });

  beforeAll(async () => {
    redisProcess = await RedisProcess.start();
    admin = new Redis(redisProcess.url);
  });
  afterAll(async () => {
    admin.disconnect();
    await redisProcess.stop();
  });
  beforeEach(async () => {
    await admin.flushall();
    logLines.length = 0;
    metrics = new Metrics();
    cache = await makeCache();
  });
  afterEach(() => cache.close());

  it('misses, then hits with the same bytes, status and content type', async () => {
    const key = cache.keyFor('apikey A', request)!;
    expect(await cache.get(key, request)).toBeNull();
    cache.set(key, answer());
    await stored(key);
    expect(await cache.get(key, request)).toEqual(answer());
    expect(await lookups('miss')).toBe(1);
    expect(await lookups('hit')).toBe(1);
    expect(await admin.ttl(key)).toBeGreaterThan(0);
  });

  it('hits for the same body under new labels, misses for another API key', async () => {
    const key = cache.keyFor('apikey A', request)!;
    cache.set(key, answer());
    await stored(key);
    const relabelled = { ...request, requestId: 'r-2', orderId: 'o-2' };
    expect(await cache.get(cache.keyFor('apikey A', relabelled)!, relabelled)).toEqual(answer());
    expect(await cache.get(cache.keyFor('apikey B', request)!, request)).toBeNull();
  });

  it("puts the new request's labels into an answer that echoes them", async () => {
    const echoing = { ...answerJson, requestId: 'r-1', orderId: 'o-1' };
    const key = cache.keyFor('apikey A', request)!;
    cache.set(key, answer(echoing));
    await stored(key);
    const hit = await cache.get(key, { ...request, requestId: 'r-9', orderId: undefined });
    expect(JSON.parse(hit!.body.toString())).toEqual({ ...answerJson, requestId: 'r-9' });
    expect(hit!.json).toEqual({ ...answerJson, requestId: 'r-9' });
    const unlabelled = { itemSets: request.itemSets };
    expect(JSON.parse((await cache.get(key, unlabelled))!.body.toString())).toEqual(answerJson);
  });

  it('never caches random requests, non-2xx answers, answers without usedKeyStem or over the cap', async () => {
    expect(cache.keyFor('apikey A', { ...request, random: true })).toBeNull();
    const key = cache.keyFor('apikey A', request)!;
    cache.set(key, answer({ usedKeyStem: 'stem-AAAA1', Message: 'bad' }, 400));
    cache.set(key, answer({ lenItems: 1 }));
    const big = { ...answerJson, svgs: ['x'.repeat(10_001)] };
    cache.set(key, answer(big));
    // a marker written after the three: once it is there, the three were processed (one connection, in order)
    const marker = cache.keyFor('apikey A', { marker: true })!;
    cache.set(marker, answer());
    await stored(marker);
    expect(await admin.exists(key)).toBe(0);
  });

  it('is off with a TTL of 0', async () => {
    const off = await makeCache({ ttlSeconds: 0 });
    expect(off.enabled).toBe(false);
    expect(off.keyFor('apikey A', request)).toBeNull();
    await off.close();
  });

  it('forgets an entry after its TTL', async () => {
    const short = await makeCache({ ttlSeconds: 1 });
    const key = short.keyFor('apikey A', request)!;
    short.set(key, answer());
    await stored(key);
    expect(await short.get(key, request)).not.toBeNull();
    await waitFor(async () => (await short.get(key, request)) === null, { timeoutMs: 5000, what: 'expiry' });
    await short.close();
  });

  it('treats a corrupt entry as a miss, counts it and deletes it', async () => {
    const key = cache.keyFor('apikey A', request)!;
    await admin.set(key, 'not an entry');
    expect(await cache.get(key, request)).toBeNull();
    const truncated = `${JSON.stringify({ v: 1, status: 200, contentType: 'application/json', bytes: 99 })}\n{}`;
    await admin.set(key, truncated);
    expect(await cache.get(key, request)).toBeNull();
    const notJson = `${JSON.stringify({ v: 1, status: 200, contentType: 'application/json', bytes: 3 })}\n{x}`;
    await admin.set(key, notJson);
    expect(await cache.get(key, request)).toBeNull();
    expect(await lookups('error')).toBe(3);
    await waitFor(async () => (await admin.exists(key)) === 0, { what: 'corrupt entry deleted' });
  });

  it('reads as a miss and swallows writes while Redis is down, logging the outage once', async () => {
    const key = cache.keyFor('apikey A', request)!;
    await redisProcess.kill();
    try {
      for (let i = 0; i < 3; i++) {
        expect(await cache.get(key, request)).toBeNull();
        cache.set(key, answer());
      }
      expect(await lookups('error')).toBe(3);
      const outageLines = logLines.filter((l) => l.includes('request cache unavailable'));
      expect(outageLines).toHaveLength(1);
    } finally {
      await redisProcess.restart();
    }
    await waitFor(
      async () => {
        cache.set(key, answer());
        return (await cache.get(key, request)) !== null;
      },
      { what: 'cache back after restart' },
    );
    expect(logLines.some((l) => l.includes('request cache available again'))).toBe(true);
  });
});
