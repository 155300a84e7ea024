import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createSimulator, DEFAULT_BEHAVIOR, type Simulator } from '../../ops/paccurate-sim/simulator';
import { CACHE_KEY_PREFIX } from '../../src/cache/cache-key';
import { STATS_HEADER } from '../../src/http/pack-flow';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { CachedProxy, type CachedProxyOptions } from './cached-proxy';

const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
const fixtureJson = JSON.parse(fixture) as Record<string, unknown>;
const KEY_A = 'apikey aqRAiz-8RA-secret-part-of-key-A';
const KEY_B = 'apikey bbbbbbbbbb-secret-part-of-key-B';

describe('request cache in the pack flow (simulator + real redis-server)', () => {
  let sim: Simulator;
  let redisProcess: RedisProcess;
  let admin: Redis;
  let proxy: CachedProxy;

  const post = (route: '/' | '/pack', body: string, auth = KEY_A, app = proxy.app) =>
    request(app)
      .post(route)
      .set('content-type', 'application/json')
      .set('authorization', auth)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .send(body);
  const stats = async (body: string, auth = KEY_A, app = proxy.app) => {
    const res = await post('/', body, auth, app);
    expect(res.status).toBe(200);
    return JSON.parse((res.body as Buffer).toString());
  };
  const cacheKeys = () => admin.keys(`${CACHE_KEY_PREFIX}*`);
  /** `set` is fire-and-forget: wait until the answer is really stored. */
  const storedCount = (n: number) =>
    waitFor(async () => (await cacheKeys()).length === n, { what: `${n} cached` });
  const withProxy = async (options: Partial<CachedProxyOptions>, use: (p: CachedProxy) => Promise<void>) => {
    const p = await CachedProxy.start({ paccurateUrl: sim.url, redisUrl: redisProcess.url, ...options });
    try {
      await use(p);
    } finally {
      await p.close();
    }
  };

  beforeAll(async () => {
    sim = await createSimulator();
    redisProcess = await RedisProcess.start();
    admin = new Redis(redisProcess.url);
    proxy = await CachedProxy.start({ paccurateUrl: sim.url, redisUrl: redisProcess.url });
  });
  afterAll(async () => {
    await proxy.close();
    admin.disconnect();
    await redisProcess.stop();
    await sim.close();
  });
  beforeEach(async () => {
    Object.assign(sim.behavior, DEFAULT_BEHAVIOR);
    await admin.flushall();
  });

  it('misses, then answers the same request from the cache without calling Paccurate', async () => {
    const before = sim.received;
    const first = await stats(fixture);
    await storedCount(1);
    const second = await stats(fixture);
    expect(sim.received).toBe(before + 1);
    expect(first.cacheHit).toBe(false);
    expect(second).toEqual({
      ...first,
      cacheHit: true,
      latency: expect.any(Number),
      timeStamp: expect.any(String),
    });
    expect(second.latency).toBeGreaterThan(0);
    const [e1, e2] = proxy.events().slice(-2);
    expect(e1!.stats.cacheHit).toBe(false);
    expect(e2!.stats).toEqual(second);
    expect(e2!.keystem).toBe('aqRAiz-8RA');
  });

  it('answers /pack from the cache byte for byte, under new labels', async () => {
    const first = await post('/pack', fixture);
    await storedCount(1);
    const before = sim.received;
    const relabelled = JSON.stringify({ ...fixtureJson, requestId: 'req-0002', orderId: 'order-0002' });
    const hit = await post('/pack', relabelled);
    expect(sim.received).toBe(before);
    expect(hit.status).toBe(first.status);
    expect(hit.headers['content-type']).toBe(first.headers['content-type']);
    expect((hit.body as Buffer).equals(first.body as Buffer)).toBe(true);
    expect(JSON.parse(hit.headers[STATS_HEADER.toLowerCase()] as string).cacheHit).toBe(true);
    // Paccurate does not echo requestId/orderId, so the old labels cannot leak into the new answer
    expect((hit.body as Buffer).toString()).not.toContain('req-0001');
  });

  it('misses for another API key', async () => {
    await stats(fixture, KEY_A);
    await storedCount(1);
    const before = sim.received;
    expect((await stats(fixture, KEY_B)).cacheHit).toBe(false);
    expect(sim.received).toBe(before + 1);
  });

  it('never caches random requests', async () => {
    const random = JSON.stringify({ ...fixtureJson, random: true });
    const before = sim.received;
    expect((await stats(random)).cacheHit).toBe(false);
    expect((await stats(random)).cacheHit).toBe(false);
    expect(sim.received).toBe(before + 2);
    expect(await cacheKeys()).toEqual([]);
  });

  it('asks Paccurate again once the entry has expired', async () => {
    await withProxy({ ttlSeconds: 1 }, async (shortLived) => {
      await stats(fixture, KEY_A, shortLived.app);
      await storedCount(1);
      await waitFor(async () => (await cacheKeys()).length === 0, { timeoutMs: 5000, what: 'expiry' });
      const before = sim.received;
      expect((await stats(fixture, KEY_A, shortLived.app)).cacheHit).toBe(false);
      expect(sim.received).toBe(before + 1);
    });
  });

  it('does not cache answers over CACHE_MAX_BYTES', async () => {
    await withProxy({ maxBytes: 1200 }, async (capped) => {
      const before = sim.received;
      await stats(fixture, KEY_A, capped.app);
      expect(sim.lastAnswer!.body.length).toBeGreaterThan(1200);
      // a smaller answer (no SVG figures) after it on the same connection: once that one is
      // stored, the big one was processed and refused
      const small = JSON.stringify({ ...fixtureJson, includeImages: false });
      await stats(small, KEY_A, capped.app);
      expect(sim.lastAnswer!.body.length).toBeLessThanOrEqual(1200);
      await storedCount(1);
      expect((await stats(fixture, KEY_A, capped.app)).cacheHit).toBe(false);
      expect((await stats(small, KEY_A, capped.app)).cacheHit).toBe(true);
      expect(sim.received).toBe(before + 3);
    });
  });

  it('answers from Paccurate while Redis is down, and caches again once it is back', async () => {
    await redisProcess.kill();
    try {
      const before = sim.received;
      expect((await stats(fixture)).cacheHit).toBe(false);
      expect((await stats(fixture)).cacheHit).toBe(false);
      expect(sim.received).toBe(before + 2);
    } finally {
      await redisProcess.restart();
    }
    await waitFor(async () => (await stats(fixture)).cacheHit, { what: 'cache hits after Redis is back' });
  });

  it('falls through to Paccurate on a corrupt entry', async () => {
    await stats(fixture);
    await storedCount(1);
    const [key] = await cacheKeys();
    await admin.set(key!, 'garbage');
    const before = sim.received;
    expect((await stats(fixture)).cacheHit).toBe(false);
    expect(sim.received).toBe(before + 1);
  });

  it('never puts an API key into Redis keys or values, nor into logs', async () => {
    await stats(fixture, KEY_A);
    await stats(fixture, KEY_B);
    await storedCount(2);
    for (const key of await cacheKeys()) {
      const dump = `${key}${(await admin.getBuffer(key))!.toString('latin1')}`;
      expect(dump).not.toContain('secret-part');
    }
    expect(proxy.logLines.join('')).not.toContain('secret-part');
  });
});
