import { Redis } from 'ioredis';
import { waitForReplica } from '../../src/queue/redis';
import { waitFor } from '../helpers/wait';
import { RedisProcess } from '../helpers/redis-server';

/**
 * With replicas, an event is accepted only once a replica has it: a master that dies right after
 * acknowledging a write would otherwise lose it (replication is asynchronous). Real servers.
 */
describe('waitForReplica (real redis-server master and replica)', () => {
  let master: RedisProcess;
  let replica: RedisProcess | null = null;
  let redis: Redis;

  beforeAll(async () => {
    master = await RedisProcess.start();
    redis = new Redis(master.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await replica?.stop();
    await master.stop();
  });

  it('takes a master with no replica attached at its word (there is no second copy to wait for)', async () => {
    await redis.set('{pacproxy-s0}:probe', '1');
    await expect(waitForReplica(redis, '{pacproxy-s0}:probe', 100)).resolves.toBeUndefined();
  });

  it('resolves once a replica has the writes', async () => {
    replica = await RedisProcess.start(['--replicaof', '127.0.0.1', String(master.port)]);
    await waitFor(async () => /connected_slaves:1/.test(await redis.info('replication')), {
      what: 'the replica attached',
    });
    await redis.set('{pacproxy-s0}:probe', '2');
    await expect(waitForReplica(redis, '{pacproxy-s0}:probe', 5000)).resolves.toBeUndefined();
  });
});
