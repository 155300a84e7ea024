import type { Queue } from 'bullmq';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { createLogger } from '../../src/log/logger';
import { createShardQueues } from '../../src/queue/queues';
import { createRedis, type RedisTarget } from '../../src/queue/redis';
import { shardLayout, shardOf } from '../../src/queue/shard';
import { SqliteStore } from '../../src/store/sqlite';
import { freePort } from '../helpers/net';
import { RedisCluster, RedisProcess, RedisSentinelSet } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { keystems } from './support/events';
import { countedRequests, jobsLeftIn } from './support/totals';
import { sendPacks } from './support/traffic';
import { NodeProcess } from './support/worker-process';

/**
 * Issue #17: the pipeline on a real Redis Cluster (3 masters, 3 replicas) and on a real
 * Sentinel set (master, replica, three sentinels). Two proxy processes and two worker
 * processes; 2,400 requests over 60 keystems; the master holding a shard's keys is SIGKILLed
 * mid-stream. The proxies keep answering 200 (the outbox takes what Redis cannot), follow the
 * promoted replica without a restart, and every request is counted exactly once. The time to
 * recover is printed, not asserted.
 */

const SHARDS = 16;
const REQUESTS = 2400;
const KEYSTEMS = keystems(60);
const PROBE_KEYSTEM = 'probe-0000';
const ADMIN_TOKEN = 'topology-test-admin-token';

interface Engine {
  /** the settings naming it (REDIS_CLUSTER_NODES or REDIS_SENTINELS + REDIS_SENTINEL_MASTER) */
  env: Record<string, string>;
  target: RedisTarget;
  /** SIGKILLs a master that holds stats keys */
  killMaster(): Promise<RedisProcess>;
  /** the engine itself reports the failover done (a replica promoted, the cluster ok) */
  failedOver(): Promise<boolean>;
  stop(): Promise<void>;
}

class Pipeline {
  readonly processes: NodeProcess[] = [];
  readonly ports: number[] = [];
  private reader: SqliteStore | null = null;

  private constructor(
    readonly dir: string,
    readonly sim: Simulator,
  ) {}

  static async start(engine: Engine): Promise<Pipeline> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-topology-'));
    const p = new Pipeline(dir, await createSimulator());
    const env = {
      ...engine.env,
      SQLITE_PATH: path.join(dir, 'stats.db'),
      SHARDS,
      FLUSH_INTERVAL_MS: 200,
      FLUSH_MAX_JOBS: 200,
      LEASE_TTL_MS: 4000,
    };
    for (const name of ['worker-a', 'worker-b']) {
      p.processes.push(NodeProcess.start(name, 'dist/bin/worker.js', env));
    }
    for (const name of ['proxy-a', 'proxy-b']) {
      const port = await freePort();
      p.ports.push(port);
      const proxy = NodeProcess.start(
        name,
        'dist/bin/pacproxy.js',
        {
          ...env,
          PORT: port,
          PACCURATE_URL: p.sim.url,
          // the request cache and the keystem memory live in the same Redis: through the failover too
          CACHE_TTL_SECONDS: 60,
          ADMIN_TOKEN,
          OUTBOX_DIR: path.join(dir, `${name}-outbox`),
          ENQUEUE_TIMEOUT_MS: 300,
        },
        ['proxy'],
      );
      p.processes.push(proxy);
      await waitFor(() => proxy.output().includes('pacproxy listening'), { timeoutMs: 30_000, what: name });
    }
    return p;
  }

  /** `count` requests over the keystems, split between the two proxies; answers the statuses. */
  async send(count: number, from = 0): Promise<number[]> {
    const half = (offset: number) =>
      Array.from({ length: count / 2 }, (_, i) => KEYSTEMS[(from + offset + 2 * i) % KEYSTEMS.length]!);
    const [a, b] = await Promise.all([
      sendPacks(this.ports[0]!, half(0)),
      sendPacks(this.ports[1]!, half(1)),
    ]);
    return [...a!, ...b!];
  }

  async metric(port: number, name: string): Promise<number> {
    const text = await (await request(`http://127.0.0.1:${port}/metrics`)).body.text();
    return Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  }

  async ready(port: number): Promise<boolean> {
    const res = await request(`http://127.0.0.1:${port}/readyz`);
    await res.body.dump();
    return res.statusCode === 200;
  }

  async store(): Promise<SqliteStore> {
    if (!this.reader) {
      this.reader = new SqliteStore({ path: path.join(this.dir, 'stats.db') });
      await this.reader.init();
    }
    return this.reader;
  }

  async counted(): Promise<number> {
    return (await this.store()).getSummary().then((s) => s.totalRequests);
  }

  outputs(): string {
    return this.processes.map((p) => p.output()).join('\n');
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.kill()));
    await this.reader?.close();
    await this.sim.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs `use` on every shard queue, through a client of the engine's own, closed after. */
async function withShardQueues<T>(target: RedisTarget, use: (queues: Queue[]) => Promise<T>): Promise<T> {
  const redis = createRedis(target, 'worker', 'test-shard-queues', createLogger('silent'));
  const queues = createShardQueues(redis, SHARDS);
  try {
    return await use(queues);
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
  }
}

/** Jobs anywhere but completed over every shard queue. */
function jobsLeft(target: RedisTarget): Promise<{ open: number; failed: number }> {
  return withShardQueues(target, jobsLeftIn);
}

/**
 * Per shard, what its queue holds and what the store counted against what was sent: when the
 * count falls short, this says whether events wait in a queue nobody consumes or are gone.
 */
async function shardReport(target: RedisTarget, p: Pipeline, probes: number): Promise<string> {
  const counts = await withShardQueues(target, (queues) =>
    Promise.all(queues.map((q) => q.getJobCounts('wait', 'active', 'completed', 'paused', 'failed'))),
  ).catch((err: unknown) => `no shard report: ${String(err)}`);
  if (typeof counts === 'string') return counts;
  const counted = await countedRequests(await p.store(), [...KEYSTEMS, PROBE_KEYSTEM]);
  const sent = new Map<string, number>(KEYSTEMS.map((k) => [k, REQUESTS / KEYSTEMS.length]));
  sent.set(PROBE_KEYSTEM, probes);
  return counts
    .map((c, shard) => {
      let want = 0;
      let got = 0;
      for (const [k, n] of sent) {
        if (shardOf(k, SHARDS) !== shard) continue;
        want += n;
        got += counted.get(k) ?? 0;
      }
      return `shard ${shard}: counted ${got}/${want}; jobs ${JSON.stringify(c)}`;
    })
    .join('\n');
}

/**
 * The scenario, the same for both engines. Recovery is the time from the SIGKILL until both
 * proxies have emptied their outboxes into Redis and a fresh request goes straight to Redis.
 */
async function failoverUnderTraffic(engine: Engine): Promise<void> {
  const p = await Pipeline.start(engine);
  try {
    const statuses = await p.send(REQUESTS / 4);
    await waitFor(async () => (await p.counted()) > 0, { timeoutMs: 30_000, what: 'the workers counting' });
    // the rest of the stream is in flight while the master dies
    let restDoneMs = NaN;
    const rest = p
      .send((REQUESTS * 3) / 4, REQUESTS / 4)
      .then((s) => ((restDoneMs = Date.now() - killedAt), s));
    const killedAt = Date.now();
    const victim = await engine.killMaster();
    // the outbox shrinks only when a replay went through: the first shrink is Redis taking events again
    const firstReplayMs = p.ports.map(async (port) => {
      let deepest = 0;
      await waitFor(
        async () => {
          const depth = await p.metric(port, 'pacproxy_outbox_depth');
          deepest = Math.max(deepest, depth);
          return depth < deepest;
        },
        { timeoutMs: 90_000, intervalMs: 100, what: 'a replay' },
      );
      return Date.now() - killedAt;
    });
    let failedOverMs = NaN;
    const failover = waitFor(() => engine.failedOver(), {
      timeoutMs: 90_000,
      intervalMs: 100,
      what: 'failover',
    }).then(() => (failedOverMs = Date.now() - killedAt));
    let probes = 0;
    const probe = async (port: number): Promise<boolean> => {
      const before = await p.metric(port, 'pacproxy_events_outboxed_total');
      const status = await sendPacks(port, [PROBE_KEYSTEM], 1);
      probes += 1;
      statuses.push(...status);
      const after = await p.metric(port, 'pacproxy_events_outboxed_total');
      return after === before && (await p.metric(port, 'pacproxy_outbox_depth')) === 0;
    };
    await waitFor(async () => (await probe(p.ports[0]!)) && (await probe(p.ports[1]!)), {
      timeoutMs: 90_000,
      intervalMs: 200,
      what: 'both proxies back on Redis with empty outboxes',
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${p.outputs()}`);
    });
    const recoveredMs = Date.now() - killedAt;
    await failover;
    const replayedMs = Math.max(...(await Promise.all(firstReplayMs)));
    statuses.push(...(await rest));
    const outboxed =
      (await p.metric(p.ports[0]!, 'pacproxy_events_outboxed_total')) +
      (await p.metric(p.ports[1]!, 'pacproxy_events_outboxed_total'));

    await waitFor(
      async () => {
        const left = await jobsLeft(engine.target);
        return left.open === 0 && (await p.counted()) === REQUESTS + probes;
      },
      { timeoutMs: 90_000, intervalMs: 500, what: `${REQUESTS + probes} requests counted` },
    ).catch(async (err: Error) => {
      const report = await shardReport(engine.target, p, probes);
      throw new Error(`${err.message} (counted ${await p.counted()})\n${report}\n${p.outputs()}`);
    });
    const countedAllMs = Date.now() - killedAt;
    process.stdout.write(
      `[${engine.env.REDIS_CLUSTER_NODES ? 'cluster' : 'sentinel'}] master on port ${victim.port} SIGKILLed: ` +
        `the engine failed over after ${(failedOverMs / 1000).toFixed(1)} s, ` +
        `both proxies' outboxes replaying into Redis after ${(replayedMs / 1000).toFixed(1)} s, proxies back on Redis after ${(recoveredMs / 1000).toFixed(1)} s, everything counted after ` +
        `${(countedAllMs / 1000).toFixed(1)} s; ${outboxed} events went through the outboxes (traffic ended after ${(restDoneMs / 1000).toFixed(1)} s)\n`,
    );

    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const counted = await countedRequests(await p.store(), [...KEYSTEMS, PROBE_KEYSTEM]);
    for (const k of KEYSTEMS) expect(counted.get(k)).toBe(REQUESTS / KEYSTEMS.length);
    expect(counted.get(PROBE_KEYSTEM)).toBe(probes);
    expect((await jobsLeft(engine.target)).failed).toBe(0);
    for (const port of p.ports) {
      expect(await p.ready(port)).toBe(true);
      // the queue gauges read every shard queue, Bull Board lists them, the cache answered hits
      expect(await p.metric(port, 'pacproxy_queue_stats_up')).toBe(1);
      expect(await p.metric(port, 'pacproxy_cache_lookups_total\\{result="hit"\\}')).toBeGreaterThan(0);
      const board = await request(`http://127.0.0.1:${port}/admin/queues/api/queues`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const { queues } = (await board.body.json()) as { queues: Array<{ name: string }> };
      expect(queues).toHaveLength(SHARDS + 1);
    }
  } finally {
    await p.close();
  }
}

/**
 * A proxy given one node where the engine needs its own client: Redis answers MOVED (a Cluster
 * node) or READONLY (a replica). The proxy still answers 200 (the events wait in its outbox),
 * says why it is not ready, and counts its failed replays by reason; restarted with the right
 * setting it replays the outbox and every request is counted once.
 */
async function misconfigured(
  wrongUrl: string,
  fault: string,
  engine: Pick<Engine, 'env' | 'target'>,
): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-misconfigured-'));
  const sim = await createSimulator();
  const processes: NodeProcess[] = [];
  const ks = keystems(20);
  const startProxy = async (env: Record<string, string>) => {
    const port = await freePort();
    const proxy = NodeProcess.start(
      'proxy',
      'dist/bin/pacproxy.js',
      {
        ...env,
        PORT: port,
        SHARDS,
        PACCURATE_URL: sim.url,
        CACHE_TTL_SECONDS: 0,
        SQLITE_PATH: path.join(dir, 'stats.db'),
        OUTBOX_DIR: path.join(dir, 'outbox'),
        ENQUEUE_TIMEOUT_MS: 300,
      },
      ['proxy'],
    );
    processes.push(proxy);
    await waitFor(() => proxy.output().includes('pacproxy listening'), {
      timeoutMs: 30_000,
      what: 'the proxy',
    });
    return { proxy, port };
  };
  const metricText = async (port: number) => (await request(`http://127.0.0.1:${port}/metrics`)).body.text();
  const store = new SqliteStore({ path: path.join(dir, 'stats.db') });
  try {
    const wrong = await startProxy({ REDIS_URL: wrongUrl });
    expect((await sendPacks(wrong.port, ks)).filter((s) => s !== 200)).toEqual([]);
    await waitFor(
      async () =>
        new RegExp(`^pacproxy_outbox_replay_failures_total\\{reason="${fault}"\\} [1-9]`, 'm').test(
          await metricText(wrong.port),
        ),
      { what: `replay failures counted as ${fault}` },
    );
    const readyz = await request(`http://127.0.0.1:${wrong.port}/readyz`);
    expect(readyz.statusCode).toBe(503);
    expect(((await readyz.body.json()) as { Message: string }).Message).toContain(`(${fault})`);
    // the first failures may be timeouts (the connection reconnecting), so any reason counts here
    expect(await metricText(wrong.port)).toMatch(/^pacproxy_enqueue_failures_total\{reason="\w+"\} [1-9]/m);
    await wrong.proxy.stop();

    const right = await startProxy(engine.env);
    processes.push(
      NodeProcess.start('worker', 'dist/bin/worker.js', {
        ...engine.env,
        SHARDS,
        SQLITE_PATH: path.join(dir, 'stats.db'),
        FLUSH_INTERVAL_MS: 200,
      }),
    );
    await store.init();
    await waitFor(async () => (await store.getSummary()).totalRequests === ks.length, {
      timeoutMs: 60_000,
      what: 'the outbox replayed and counted',
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${processes.map((p) => p.output()).join('\n')}`);
    });
    const counted = await countedRequests(store, ks);
    for (const k of ks) expect(counted.get(k)).toBe(1);
    const ready = await request(`http://127.0.0.1:${right.port}/readyz`);
    await ready.body.dump();
    expect(ready.statusCode).toBe(200);
    expect((await jobsLeft(engine.target)).failed).toBe(0);
  } finally {
    await Promise.all(processes.map((p) => p.kill()));
    await store.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('pipeline on a Redis Cluster (3 masters, 3 replicas)', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await RedisCluster.start(3);
  });
  afterAll(() => cluster?.stop());

  const clusterEngine = () => ({
    env: { REDIS_CLUSTER_NODES: cluster.seeds },
    target: {
      shape: 'cluster',
      nodes: cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
      tls: false,
    } satisfies RedisTarget,
  });

  it('a proxy given one cluster node as REDIS_URL is not ready (MOVED) and loses nothing', async () => {
    const node = await cluster.masterOf(shardLayout(0).leaseKey);
    // some shards live on this node and some do not: the others answer MOVED
    await misconfigured(`redis://127.0.0.1:${node.port}`, 'MOVED', clusterEngine());
  }, 120_000);

  it('counts 2,400 requests exactly while the master of a shard is SIGKILLed and its replica promoted', async () => {
    let victim: RedisProcess | undefined;
    await failoverUnderTraffic({
      ...clusterEngine(),
      killMaster: async () => {
        victim = await cluster.masterOf(shardLayout(0).leaseKey);
        await victim.kill();
        return victim;
      },
      failedOver: async () =>
        (await cluster.masterOf(shardLayout(0).leaseKey).catch(() => victim)) !== victim &&
        (await cluster.healthy()),
      stop: () => cluster.stop(),
    });
  }, 240_000);
});

describe('pipeline on Sentinel (master, replica, three sentinels)', () => {
  let set: RedisSentinelSet;
  beforeAll(async () => {
    set = await RedisSentinelSet.start();
  });
  afterAll(() => set?.stop());

  const master = RedisSentinelSet.MASTER_NAME;
  const sentinelEngine = () => ({
    env: { REDIS_SENTINELS: set.seeds, REDIS_SENTINEL_MASTER: master },
    target: {
      shape: 'sentinel',
      sentinels: set.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
      master,
      tls: false,
    } satisfies RedisTarget,
  });

  it('a proxy given the replica as REDIS_URL is not ready (READONLY) and loses nothing', async () => {
    await misconfigured(set.replica.url, 'READONLY', sentinelEngine());
  }, 120_000);

  it('counts 2,400 requests exactly while the master is SIGKILLed and Sentinel promotes the replica', async () => {
    await failoverUnderTraffic({
      ...sentinelEngine(),
      killMaster: async () => {
        await set.master.kill();
        return set.master;
      },
      failedOver: async () => (await set.masterPort()) === set.replica.port,
      stop: () => set.stop(),
    });
    expect(await set.masterPort()).toBe(set.replica.port);
  }, 240_000);
});

describe('a Redis with a password (REDIS_PASSWORD)', () => {
  it('is used by the proxy, and the password appears in no log line', async () => {
    const password = 'not-in-any-log-7f3a';
    const server = await RedisProcess.start(['--requirepass', password]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-password-'));
    const sim = await createSimulator();
    const port = await freePort();
    const proxy = NodeProcess.start(
      'proxy',
      'dist/bin/pacproxy.js',
      {
        REDIS_URL: server.url,
        REDIS_PASSWORD: password,
        PORT: port,
        PACCURATE_URL: sim.url,
        SQLITE_PATH: path.join(dir, 'stats.db'),
        OUTBOX_DIR: path.join(dir, 'outbox'),
        LOG_LEVEL: 'debug',
      },
      ['proxy'],
    );
    try {
      await waitFor(() => proxy.output().includes('pacproxy listening'), {
        timeoutMs: 30_000,
        what: 'the proxy',
      });
      expect(await sendPacks(port, keystems(5))).toEqual([200, 200, 200, 200, 200]);
      const metrics = await (await request(`http://127.0.0.1:${port}/metrics`)).body.text();
      expect(metrics).toMatch(/^pacproxy_events_enqueued_total 5$/m);
      const ready = await request(`http://127.0.0.1:${port}/readyz`);
      await ready.body.dump();
      expect(ready.statusCode).toBe(200);
      expect(proxy.output()).not.toContain(password);
    } finally {
      await proxy.kill();
      await sim.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
