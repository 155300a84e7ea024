import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_BEHAVIOR, createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { LogCapture, createPackApp, postJson, type PackApp } from './pack-harness';

const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'), 'utf8');
const KEY_K = 'KKKKKKKKKK-secret-of-facility-k';
const KEY_OTHER = 'OOOOOOOOOO-secret-of-another-facility';

describe('keystem attribution of answers without usedKeyStem', () => {
  const logs = new LogCapture();
  let sim: Simulator;
  let redisServer: RedisProcess;
  let redis: Redis;
  const apps: PackApp[] = [];

  const proxy = () => {
    const app = createPackApp({ paccurateUrl: sim.url, redis, logs });
    apps.push(app);
    return app;
  };
  const post = (app: PackApp, key: string) =>
    postJson(app.app, '/', fixture, { authorization: `apikey ${key}` });

  beforeAll(async () => {
    sim = await createSimulator();
    redisServer = await RedisProcess.start();
    redis = new Redis(redisServer.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    redis.disconnect();
    await redisServer.stop();
    await sim.close();
  });
  beforeEach(() => {
    Object.assign(sim.behavior, DEFAULT_BEHAVIOR);
  });

  it("attributes an error to the keystem last seen for the same key, else to 'unknown'", async () => {
    const first = proxy();
    expect((await post(first, KEY_K)).body.usedKeystem).toBe('KKKKKKKKKK');

    sim.behavior.status = 500;
    const failed = await post(first, KEY_K);
    expect(failed.status).toBe(500);
    expect(failed.body.usedKeystem).toBe('KKKKKKKKKK');
    expect(first.events().at(-1)).toMatchObject({ keystem: 'KKKKKKKKKK', stats: { errorResponse: true } });

    const stranger = await post(first, KEY_OTHER);
    expect(stranger.body.usedKeystem).toBe('unknown');
    expect(first.events().at(-1)?.keystem).toBe('unknown');
  });

  it('remembers across proxies through Redis, by hash only', async () => {
    const keys = await redis.keys('pacproxy:keystem:*');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^pacproxy:keystem:[0-9a-f]{64}$/);
    expect(await redis.get(keys[0] ?? '')).toBe('KKKKKKKKKK');

    sim.behavior.status = 400;
    const second = proxy(); // a fresh process's memory: only Redis knows K
    const res = await post(second, KEY_K);
    expect(res.status).toBe(400);
    expect(second.events()[0]?.keystem).toBe('KKKKKKKKKK');
  });

  it('keeps serving, and attributing from local memory, while Redis is down', async () => {
    const app = proxy();
    expect((await post(app, KEY_K)).status).toBe(200);
    await redisServer.kill();
    try {
      expect((await post(app, KEY_K)).body.usedKeystem).toBe('KKKKKKKKKK');
      sim.behavior.status = 500;
      const failed = await post(app, KEY_K);
      expect(failed.status).toBe(500);
      expect(failed.body.usedKeystem).toBe('KKKKKKKKKK');
      const fresh = proxy();
      expect((await post(fresh, KEY_K)).body.usedKeystem).toBe('unknown');
    } finally {
      await redisServer.restart();
    }
  });

  it('never logs an API key', async () => {
    const from = logs.lines.length;
    const app = proxy();
    expect((await post(app, KEY_K)).status).toBe(200);
    sim.behavior.status = 500;
    expect((await post(app, KEY_K)).status).toBe(500);
    expect((await post(app, KEY_OTHER)).status).toBe(500);
    const lines = logs.lines.slice(from);
    // the lines of these requests are there (they name the keystem), and none holds a key
    expect(lines.filter((line) => line.includes('KKKKKKKKKK')).length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).not.toMatch(/secret-of/);
  });
});
