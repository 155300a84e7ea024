import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { CACHE_KEY_PREFIX } from '../../src/cache/cache-key';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { CachedProxy } from '../cache/cached-proxy';
import { parseExposition, valueOf } from './exposition';

const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
const fixtureJson = JSON.parse(fixture) as Record<string, unknown>;
const SECRET = 'k3y-secret-never-in-metrics';
const AUTH = `apikey stem-00001${SECRET}`;

describe('pack metrics on GET /metrics (simulator + real redis-server)', () => {
  let sim: Simulator;
  let redisProcess: RedisProcess;
  let proxy: CachedProxy;

  const post = (route: '/' | '/pack', body: string) =>
    request(proxy.app)
      .post(route)
      .set('content-type', 'application/json')
      .set('authorization', AUTH)
      .send(body);

  beforeAll(async () => {
    sim = await createSimulator();
    redisProcess = await RedisProcess.start();
    proxy = await CachedProxy.start({ paccurateUrl: sim.url, redisUrl: redisProcess.url });
  });
  afterAll(async () => {
    await proxy.close();
    await redisProcess.stop();
    await sim.close();
  });

  it('counts exactly the traffic sent, by route, status class and cache result', async () => {
    await post('/', fixture).expect(200);
    // the miss's answer is stored in the background: wait until it is there
    const admin = new Redis(redisProcess.url);
    await waitFor(async () => (await admin.keys(`${CACHE_KEY_PREFIX}*`)).length === 1, { what: 'stored' });
    admin.disconnect();
    await post('/', fixture).expect(200);
    await post('/', fixture).expect(200);
    const random = JSON.stringify({ ...fixtureJson, random: true });
    await post('/pack', random).expect(200);
    await post('/pack', random).expect(200);
    await post('/', '{not json').expect(400);
    sim.behavior.status = 500;
    await post('/', JSON.stringify({ ...fixtureJson, includeScripts: true })).expect(500);

    const res = await request(proxy.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toBe(proxy.metrics.registry.contentType);
    const samples = parseExposition(res.text);
    const packs = (route: string, status_class: string, cache: string) =>
      valueOf(samples, 'pacproxy_pack_requests_total', { route, status_class, cache });
    expect(packs('/', '2xx', 'miss')).toBe(1);
    expect(packs('/', '2xx', 'hit')).toBe(2);
    expect(packs('/pack', '2xx', 'off')).toBe(2);
    expect(packs('/', '4xx', 'off')).toBe(1);
    expect(packs('/', '5xx', 'miss')).toBe(1);
    const total = samples
      .filter((s) => s.name === 'pacproxy_pack_requests_total')
      .reduce((sum, s) => sum + s.value, 0);
    expect(total).toBe(7);
    expect(total).toBe(proxy.events().length);
    // Paccurate was called for every miss, the random ones and the 500; never for hits or the 400
    expect(valueOf(samples, 'pacproxy_upstream_latency_seconds_count')).toBe(4);
    expect(sim.received).toBe(4);
    expect(valueOf(samples, 'pacproxy_cache_lookups_total', { result: 'hit' })).toBe(2);
    expect(valueOf(samples, 'pacproxy_cache_lookups_total', { result: 'miss' })).toBe(2);
    expect(valueOf(samples, 'pacproxy_cache_lookups_total', { result: 'error' })).toBe(0);
  });

  it('shows no API key anywhere in the exposition', async () => {
    const text = (await request(proxy.app).get('/metrics').expect(200)).text;
    expect(text).toContain('pacproxy_pack_requests_total{');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('apikey');
  });
});
