import type { Express } from 'express';
import request from 'supertest';
import { testConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { Metrics } from '../../src/metrics/metrics';
import { MemorySink } from '../../src/queue/sink';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { openStatsQueues } from '../admin/stats-queues';
import { parseExposition, valueOf } from './exposition';

describe('GET /metrics with scrape-time queue gauges (real redis-server)', () => {
  let redisProcess: RedisProcess;
  let stats: Awaited<ReturnType<typeof openStatsQueues>>;
  let metrics: Metrics;
  let app: Express;

  const scrape = async () => {
    const res = await request(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toBe(metrics.registry.contentType);
    return parseExposition(res.text);
  };

  beforeAll(async () => {
    redisProcess = await RedisProcess.start();
    stats = await openStatsQueues(redisProcess.url, 3);
    const { queues } = stats;
    metrics = new Metrics();
    app = createApp({
      config: testConfig(),
      logger: createLogger('silent'),
      sink: new MemorySink(),
      metrics,
      queues,
    });

    const now = Date.now();
    await queues[0]!.add('pack', { n: 1 }, { jobId: 'a', timestamp: now - 60_000 });
    await queues[0]!.add('pack', { n: 2 }, { jobId: 'b', timestamp: now - 5_000 });
    await queues[2]!.add('pack', { n: 3 }, { jobId: 'c' });
    await queues[3]!.add('undecodable', { n: 4 }, { jobId: 'd' });
  });

  afterAll(async () => {
    await stats.close();
    await redisProcess.stop();
  });

  it('reports every queue depth and the oldest waiting age, with process defaults, prefixed pacproxy_', async () => {
    const samples = await scrape();
    const waiting = (queue: string) => valueOf(samples, 'pacproxy_queue_depth', { queue, state: 'waiting' });
    expect([waiting('stats-0'), waiting('stats-1'), waiting('stats-2'), waiting('stats-dead')]).toEqual([
      2, 0, 1, 1,
    ]);
    expect(valueOf(samples, 'pacproxy_queue_depth', { queue: 'stats-0', state: 'failed' })).toBe(0);
    const age = (queue: string) => valueOf(samples, 'pacproxy_queue_oldest_waiting_age_seconds', { queue });
    // the job enqueued with a timestamp 60 s ago is the oldest, not the 5 s one
    expect(age('stats-0')).toBeGreaterThanOrEqual(60);
    expect(age('stats-0')).toBeLessThan(600);
    expect(age('stats-1')).toBe(0);
    expect(valueOf(samples, 'pacproxy_queue_stats_up')).toBe(1);
    expect(samples.some((s) => s.name === 'pacproxy_process_cpu_user_seconds_total')).toBe(true);
    expect(samples.every((s) => s.name.startsWith('pacproxy_'))).toBe(true);
  });

  it('still answers with Redis dead, reporting queue stats down, and recovers', async () => {
    await redisProcess.kill();
    try {
      const samples = await scrape();
      expect(valueOf(samples, 'pacproxy_queue_stats_up')).toBe(0);
      expect(samples.filter((s) => s.name === 'pacproxy_queue_depth')).toEqual([]);
    } finally {
      await redisProcess.restart();
    }
    await waitFor(async () => valueOf(await scrape(), 'pacproxy_queue_stats_up') === 1, {
      what: 'queue stats back',
    });
    expect(valueOf(await scrape(), 'pacproxy_queue_depth', { queue: 'stats-0', state: 'waiting' })).toBe(2);
  });
});
