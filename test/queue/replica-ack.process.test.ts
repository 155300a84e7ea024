import { Redis } from 'ioredis';
import { createRedis } from '../../src/queue/redis';
import { REPLICA_WAIT_MAX_MS, ReplicaAcks } from '../../src/queue/replica-acks';
import { captureLogger } from '../pipeline/support/log';
import { waitFor } from '../helpers/wait';
import { RedisProcess } from '../helpers/redis-server';

const KEY = '{pacproxy-s0}:probe';

/**
 * With replicas, an event is accepted only once a replica has it: a master that dies right after
 * acknowledging a write would otherwise lose it (replication is asynchronous). And a master that
 * lost its replica a moment ago, or is a replica now, may discard what it took. Real servers.
 */
describe('ReplicaAcks (real redis-server masters and replicas)', () => {
  const servers: RedisProcess[] = [];
  const clients: Redis[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    // SIGKILL, then stop() removes the data folder: a graceful stop of a master and replica pair
    // sometimes outlived the hook's timeout here
    for (const s of servers.splice(0)) {
      await s.kill();
      await s.stop();
    }
  });

  async function server(args: string[] = []): Promise<{ server: RedisProcess; redis: Redis }> {
    const started = await RedisProcess.start(args);
    servers.push(started);
    const redis = new Redis(started.url);
    clients.push(redis);
    return { server: started, redis };
  }

  /** `n` replicas attached and done with their first sync (ROLE lists only those) */
  const attached = (redis: Redis, n: number) =>
    waitFor(
      async () => {
        const info = await redis.info('replication');
        return info.includes(`connected_slaves:${n}`) && (info.match(/state=online/g) ?? []).length === n;
      },
      { timeoutMs: 30_000, what: `${n} replicas attached` },
    );

  it('takes a master that never had a replica at its word (there is no second copy to wait for)', async () => {
    const { redis } = await server();
    await redis.set(KEY, '1');
    await expect(new ReplicaAcks(redis, { timeoutMs: 100 }).wait(KEY)).resolves.toBeUndefined();
  });

  it('resolves once a replica has the writes', async () => {
    const { server: master, redis } = await server();
    await server(['--replicaof', '127.0.0.1', String(master.port)]);
    await attached(redis, 1);
    await redis.set(KEY, '2');
    await expect(new ReplicaAcks(redis, { timeoutMs: 5000 }).wait(KEY)).resolves.toBeUndefined();
  });

  it('refuses a master whose replica left moments ago, then takes its word again', async () => {
    const { server: master, redis } = await server();
    const { server: replica } = await server(['--replicaof', '127.0.0.1', String(master.port)]);
    await attached(redis, 1);
    const acks = new ReplicaAcks(redis, { timeoutMs: 5000, replicaGoneGraceMs: 1500 });
    await redis.set(KEY, '3');
    await acks.wait(KEY);
    await replica.kill(); // gone, as a replica promoted over its master (or dead)
    await attached(redis, 0);
    await redis.set(KEY, '4');
    await expect(acks.wait(KEY)).rejects.toThrow(/lost its replica/);
    await new Promise((r) => setTimeout(r, 1600));
    await expect(acks.wait(KEY)).resolves.toBeUndefined();
  });

  it('gives up on a replica that does not answer before the connection would be dropped', async () => {
    const { server: master, redis } = await server();
    const { server: replica } = await server(['--replicaof', '127.0.0.1', String(master.port)]);
    await attached(redis, 1);
    // the proxy's connection: one that drops a socket silent for REDIS_SOCKET_TIMEOUT_MS
    const proxy = createRedis(master.url, 'fail-fast', 'test-proxy', captureLogger().logger);
    clients.push(proxy as Redis);
    let closes = 0;
    proxy.on('close', () => closes++);
    await waitFor(() => proxy.status === 'ready', { what: 'the connection' });
    replica.pause(); // attached, and acknowledges nothing
    await proxy.set(KEY, '6');
    // ENQUEUE_TIMEOUT_MS set far above the socket timeout
    const acks = new ReplicaAcks(proxy, { timeoutMs: 10_000 });
    await expect(acks.wait(KEY)).rejects.toThrow(`within ${REPLICA_WAIT_MAX_MS} ms`);
    expect(closes).toBe(0);
    expect(await proxy.get(KEY)).toBe('6');
  }, 20_000);

  it('refuses a write taken by a node that is a replica now (demoted: it may discard the write)', async () => {
    const { server: other } = await server();
    const { redis } = await server();
    await redis.set(KEY, '5');
    await redis.call('REPLICAOF', '127.0.0.1', String(other.port));
    await expect(new ReplicaAcks(redis, { timeoutMs: 100 }).wait(KEY)).rejects.toThrow(/is a slave now/);
  });
});
