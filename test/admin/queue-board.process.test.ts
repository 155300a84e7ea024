import type { Express } from 'express';
import request from 'supertest';
import { QUEUE_BOARD_PATH } from '../../src/admin/queue-board';
import { testConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { MemorySink } from '../../src/queue/sink';
import { RedisProcess } from '../helpers/redis-server';
import { openStatsQueues } from './stats-queues';

const TOKEN = 'test-admin-token-5f2c';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('Bull Board at /admin/queues behind ADMIN_TOKEN (real redis-server)', () => {
  let redisProcess: RedisProcess;
  let stats: Awaited<ReturnType<typeof openStatsQueues>>;

  const appWith = (adminToken: string | undefined): Express =>
    createApp({
      config: testConfig(adminToken ? { ADMIN_TOKEN: adminToken } : {}),
      logger: createLogger('silent'),
      sink: new MemorySink(),
      queues: stats.queues,
    });
  let app: Express;

  beforeAll(async () => {
    redisProcess = await RedisProcess.start();
    stats = await openStatsQueues(redisProcess.url, 4);
    await stats.queues[1]!.add('pack', { n: 1 }, { jobId: 'e-1' });
    await stats.queues[1]!.add('pack', { n: 2 }, { jobId: 'e-2' });
    app = appWith(TOKEN);
  });
  afterAll(async () => {
    await stats.close();
    await redisProcess.stop();
  });

  it('asks for credentials with 401 and a Basic challenge when none are given', async () => {
    const res = await request(app).get(QUEUE_BOARD_PATH).expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect(res.body).toEqual({ Message: 'admin token required', Code: 'PACPROXY_ERR_ADMIN_UNAUTHENTICATED' });
  });

  it('refuses a wrong token, as bearer or as basic password, with 403', async () => {
    await request(app).get(QUEUE_BOARD_PATH).set('Authorization', 'Bearer nope').expect(403);
    const res = await request(app)
      .get(`${QUEUE_BOARD_PATH}/api/queues`)
      .set('Authorization', basic('admin', 'nope'))
      .expect(403);
    expect(res.body).toEqual({ Message: 'admin token is not valid', Code: 'PACPROXY_ERR_ADMIN_FORBIDDEN' });
  });

  it('refuses with 403 and says how to enable it when no ADMIN_TOKEN is configured', async () => {
    const res = await request(appWith(undefined))
      .get(QUEUE_BOARD_PATH)
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(403);
    expect(res.body.Message).toMatch(/set ADMIN_TOKEN/);
  });

  it('serves the board page with its own CSP to a bearer token and to basic auth', async () => {
    for (const auth of [`Bearer ${TOKEN}`, basic('anyone', TOKEN)]) {
      const res = await request(app).get(QUEUE_BOARD_PATH).set('Authorization', auth).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('<base href="/admin/queues/"');
      const csp = res.headers['content-security-policy'] as string;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    }
    // the static bundle the page loads is served too
    const page = await request(app).get(QUEUE_BOARD_PATH).set('Authorization', `Bearer ${TOKEN}`);
    const script = /src="(static\/js\/main[^"]+)"/.exec(page.text)![1];
    await request(app)
      .get(`${QUEUE_BOARD_PATH}/${script}`)
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200);
  });

  it("lists every shard queue and the dead-letter queue with their counts in Bull Board's API", async () => {
    const res = await request(app)
      .get(`${QUEUE_BOARD_PATH}/api/queues`)
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200);
    const queues = res.body.queues as {
      name: string;
      counts: Record<string, number>;
      readOnlyMode: boolean;
      displayName: string;
      description: string;
      hasWorkers: boolean | null;
    }[];
    expect(queues.map((q) => q.name).sort()).toEqual([
      'stats-0',
      'stats-1',
      'stats-2',
      'stats-3',
      'stats-dead',
    ]);
    expect(queues.find((q) => q.name === 'stats-1')!.counts.waiting).toBe(2);
    expect(queues.find((q) => q.name === 'stats-0')!.counts.waiting).toBe(0);
    expect(queues.every((q) => q.readOnlyMode)).toBe(true);
    // no worker runs here: the shards are flagged, the dead-letter queue (never consumed) is not
    const dead = queues.find((q) => q.name === 'stats-dead')!;
    expect(dead).toMatchObject({ displayName: 'dead letters · stats-dead', hasWorkers: null });
    expect(dead.description).toMatch(/Nothing consumes this queue, by design/);
    expect(queues.find((q) => q.name === 'stats-1')).toMatchObject({
      displayName: 'shard 1 · stats-1',
      hasWorkers: false,
    });
  });

  it('serves a page that links no other host, and the script that drops credentials from its URL', async () => {
    const auth = `Bearer ${TOKEN}`;
    const page = await request(app).get(QUEUE_BOARD_PATH).set('Authorization', auth).expect(200);
    expect(page.text).not.toMatch(/https?:\/\//);
    const script = /<script src="([^"]+)"><\/script>/.exec(page.text)?.[1];
    expect(script).toBe('pacproxy-url-credentials.js');
    const served = await request(app)
      .get(`${QUEUE_BOARD_PATH}/${script}`)
      .set('Authorization', auth)
      .expect(200);
    expect(served.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('is read-only: emptying a stats queue is refused and its jobs stay', async () => {
    await request(app)
      .put(`${QUEUE_BOARD_PATH}/api/queues/stats-1/empty`)
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(405);
    expect(await stats.queues[1]!.getWaitingCount()).toBe(2);
  });
});
