import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { testConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { MemorySink, type StatsSink } from '../../src/queue/sink';
import { SqliteStore } from '../../src/store/sqlite';
import { packEvent } from '../helpers/stats-events';

const TOKEN = 'admin-secret';
const logger = createLogger('silent');

describe('keydata API', () => {
  let dir: string;
  let store: SqliteStore;
  let sink: MemorySink;

  const app = ({
    adminEnabled = true,
    failingSink,
  }: { adminEnabled?: boolean; failingSink?: StatsSink } = {}) =>
    createApp({
      config: testConfig(adminEnabled ? { ADMIN_TOKEN: TOKEN } : {}),
      logger,
      sink: failingSink ?? sink,
      store,
    });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pacproxy-keydata-'));
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
    sink = new MemorySink();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('GET /api/keydata/{keystem}', () => {
    it("answers the keystem's aggregate in the seed's shape, never cached", async () => {
      await store.applyBatch([
        packEvent('aqRAiz-8RA', 1, { totalItems: 20, latency: 600, timeStamp: 't1', boxTypes: { '0': 2 } }),
        packEvent('aqRAiz-8RA', 2, { totalItems: 26, latency: 900, timeStamp: 't2', boxTypes: { '0': 1 } }),
        packEvent('aqRAiz-8RA', 3, { statusCode: '500', errorResponse: true, latency: 300 }),
      ]);
      const res = await request(app()).get('/api/keydata/aqRAiz-8RA').expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        usedKeystem: 'aqRAiz-8RA',
        totalItems: 46,
        totalVolume: 2000,
        avgItemsPerPack: 23,
        avgVolumeUtilization: 0.5,
        boxTypes: { '0': 3 },
        totalRequests: 3,
        statusCodes: { '200': 2, '500': 1 },
        requestErrorCount: 0,
        errorCount: 1,
        cacheHits: 0,
        maxLatency: { latency: 900, timeStamp: 't2' },
        avgLatency: 600,
        packs: 2,
        totalCost: 480,
        costedPacks: 2,
        avgCostPerPack: 240,
        totalBoxes: 2,
        avgBoxesPerPack: 1,
        totalLeftovers: 0,
        packsWithLeftovers: 0,
        totalWeight: 4,
        avgPackTime: 0.0007,
        boxTypeStats: { '0': { count: 3, avgVolumeUtilization: 0.5, totalCost: 480 } },
        choiceGoals: { 'lowest-cost': 2 },
        packsWithWarnings: 0,
        updatedAt: expect.any(String),
      });
    });

    it('answers 404 {Message} for a keystem with nothing recorded', async () => {
      const res = await request(app()).get('/api/keydata/nobody').expect(404);
      expect(res.body).toEqual({ Message: 'no data for keystem nobody' });
    });

    it.each([['a'.repeat(65)], ['a.b'], ['%24where'], ['sp%20ace']])(
      'answers 400 for the keystem %s',
      async (k) => {
        const res = await request(app()).get(`/api/keydata/${k}`).expect(400);
        expect(res.body.Message).toMatch(/1 to 64 characters/);
      },
    );

    it('answers 503 {Message} when the store fails', async () => {
      await store.close();
      const res = await request(app()).get('/api/keydata/abc').expect(503);
      expect(res.body).toEqual({ Message: 'the statistics store is unavailable, try again' });
    });
  });

  describe('GET /api/keydata/all', () => {
    it('summarises every keystem, with the max latency and highest average keystems', async () => {
      await store.applyBatch([
        packEvent('a', 1, { latency: 100, timeStamp: 'ta' }),
        packEvent('b', 2, { latency: 400, timeStamp: 'tb' }),
        packEvent('b', 3, { latency: 200, timeStamp: 'tb2' }),
      ]);
      const res = await request(app()).get('/api/keydata/all').expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({
        totalItems: 9,
        avgItemsPerPack: 3,
        totalRequests: 3,
        statusCodes: { '200': 3 },
        errorCount: 0,
        maxLatency: { latency: 400, usedKeystem: 'b', timeStamp: 'tb' },
        avgLatency: 700 / 3,
        highestAvgLatency: { latency: 300, usedKeystem: 'b' },
        keystems: 2,
      });
    });

    it('answers an empty summary for an empty store', async () => {
      const res = await request(app()).get('/api/keydata/all').expect(200);
      expect(res.body).toMatchObject({ totalRequests: 0, avgLatency: 0, keystems: 0 });
    });

    it('answers 503 when the store fails', async () => {
      await store.close();
      await request(app()).get('/api/keydata/all').expect(503);
    });
  });

  describe('GET /api/keydata', () => {
    it('lists keystems a page at a time', async () => {
      await store.applyBatch(['c', 'a', 'e', 'b', 'd'].map((k, i) => packEvent(k, i)));
      const first = await request(app()).get('/api/keydata?limit=2').expect(200);
      expect(first.headers['cache-control']).toBe('no-store');
      expect(first.body).toMatchObject({ keystems: ['a', 'b'], next: 'b' });
      const second = await request(app()).get('/api/keydata?limit=2&after=b').expect(200);
      expect(second.body).toMatchObject({ keystems: ['c', 'd'], next: 'd' });
      const last = await request(app()).get('/api/keydata?limit=2&after=d').expect(200);
      expect(last.body).toMatchObject({ keystems: ['e'], next: null });
      const all = await request(app()).get('/api/keydata').expect(200);
      expect(all.body).toMatchObject({ keystems: ['a', 'b', 'c', 'd', 'e'], next: null });
    });

    it('answers an item per keystem of the page, and filters by name prefix', async () => {
      await store.applyBatch([
        packEvent('site-a', 1, { latency: 100, volumeUtilization: 0.5, totalCost: 300 }),
        packEvent('site-a', 2, { latency: 300, volumeUtilization: 0.25, totalCost: null }),
        packEvent('site-a', 3, { statusCode: '0', requestError: true, latency: 0 }),
        packEvent('site-b', 4, { statusCode: '500', errorResponse: true, latency: 50 }),
        packEvent('other', 5),
      ]);
      const res = await request(app()).get('/api/keydata?prefix=site-&limit=1').expect(200);
      expect(res.body).toEqual({
        keystems: ['site-a'],
        next: 'site-a',
        items: [
          {
            usedKeystem: 'site-a',
            totalRequests: 3,
            requestErrorCount: 1,
            errorCount: 0,
            avgVolumeUtilization: 0.375,
            avgCostPerPack: 300,
            avgLatency: 200,
            updatedAt: expect.any(String),
          },
        ],
      });
      const next = await request(app()).get('/api/keydata?prefix=site-&limit=1&after=site-a').expect(200);
      expect(next.body.items).toEqual([
        expect.objectContaining({
          usedKeystem: 'site-b',
          errorCount: 1,
          avgVolumeUtilization: 0,
          avgCostPerPack: null,
        }),
      ]);
      expect(next.body.next).toBeNull();
      await request(app()).get('/api/keydata?prefix=a.b').expect(400);
    });

    it.each([
      ['limit 0', 'limit=0'],
      ['limit 1001', 'limit=1001'],
      ['a word for limit', 'limit=ten'],
      ['two limits', 'limit=1&limit=2'],
      ['an overlong cursor', `after=${'x'.repeat(300)}`],
    ])('answers 400 for %s', async (_what, query) => {
      const res = await request(app()).get(`/api/keydata?${query}`).expect(400);
      expect(res.body.Message).toEqual(expect.any(String));
    });
  });

  describe('DELETE /api/keydata/{keystem}', () => {
    it('sends a reset event through the sink and confirms in the seed words', async () => {
      const before = Date.now();
      const res = await request(app())
        .delete('/api/keydata/aqRAiz-8RA')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(200);
      expect(res.body).toEqual({ Message: 'delete request sent on keystem aqRAiz-8RA' });
      expect(sink.events).toEqual([
        {
          kind: 'reset',
          eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          keystem: 'aqRAiz-8RA',
          at: expect.any(Number),
        },
      ]);
      expect(sink.events[0]?.at).toBeGreaterThanOrEqual(before);
    });

    it('resets the keystem once the pipeline applies the event', async () => {
      await store.applyBatch([packEvent('k1', Date.now() - 1000)]);
      await request(app()).delete('/api/keydata/k1').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      await store.applyBatch(sink.events);
      await request(app()).get('/api/keydata/k1').expect(404);
    });

    it('answers 401 without a token, 403 with a wrong one, and sends nothing', async () => {
      const res = await request(app()).delete('/api/keydata/k1').expect(401);
      expect(res.body).toEqual({ Message: 'admin token required' });
      await request(app()).delete('/api/keydata/k1').set('Authorization', 'Bearer wrong').expect(403);
      expect(sink.events).toEqual([]);
    });

    it('answers 403 saying how to enable it when no ADMIN_TOKEN is configured', async () => {
      const res = await request(app({ adminEnabled: false }))
        .delete('/api/keydata/k1')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(403);
      expect(res.body.Message).toMatch(/set ADMIN_TOKEN/);
      expect(sink.events).toEqual([]);
    });

    it('answers 400 for a malformed keystem', async () => {
      await request(app()).delete('/api/keydata/a.b').set('Authorization', `Bearer ${TOKEN}`).expect(400);
      expect(sink.events).toEqual([]);
    });

    it('answers 503 when the sink cannot accept the reset', async () => {
      const failing: StatsSink = {
        record: async () => {
          throw new Error('redis down and outbox full');
        },
        close: async () => {},
      };
      const res = await request(app({ failingSink: failing }))
        .delete('/api/keydata/k1')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(503);
      expect(res.body).toEqual({ Message: 'the statistics queue is unavailable, try again' });
    });
  });
});
