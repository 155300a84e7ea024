import type { RedisTarget } from '../../src/queue/redis';
import { shardLayout } from '../../src/queue/shard';
import { withTimeout } from '../../src/util/with-timeout';
import type { ShardConsumer } from '../../workers/shard-consumer';
import { RedisCluster } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';
import { ConsumerRig } from './support/consumer-rig';

/**
 * A shard's master and its replica both die, so the cluster has no master for the shard's
 * slots (cluster_state:fail), and come back. Meanwhile BullMQ's idle wait reconnects its
 * blocking connection, and ioredis's Cluster.connect() never settles once its ready check
 * failed, not even after the cluster recovers: without a deadline on its Redis calls the shard's
 * consumer would wait for good, its lease held (seen in CI once, after a failover).
 */
describe('a shard consumer on a Redis Cluster whose shard loses its master and replica', () => {
  let cluster: RedisCluster;
  let rig: ConsumerRig;
  let consumer: ShardConsumer;

  beforeAll(async () => {
    cluster = await RedisCluster.start(3);
    const target: RedisTarget = {
      shape: 'cluster',
      nodes: cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
      tls: false,
    };
    rig = await ConsumerRig.start(target);
    consumer = rig.consumer(rig.store, 2000);
  });

  afterAll(async () => {
    // each step named and bounded (a stop that hangs is a failure to see), the cluster stopped anyway
    try {
      await withTimeout(consumer.stop(), 20_000, 'the shard consumer stopping');
      await withTimeout(rig.close(), 10_000, 'the queue, connection and store closing');
    } finally {
      await cluster.stop();
    }
  });

  it('consumes again once they are back', async () => {
    consumer.start();
    await rig.addJobs(10, 0);
    await waitFor(async () => (await rig.counted()) === 10, { what: 'the first jobs' });

    const master = await cluster.masterOf(shardLayout(0).leaseKey);
    const replica = await cluster.replicaOf(master);
    await Promise.all([master.kill(), replica.kill()]);
    await waitFor(async () => !(await cluster.healthy()), { timeoutMs: 20_000, what: 'cluster_state:fail' });
    // the idle wait runs into the outage a few times
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await Promise.all([master.restart(), replica.restart()]);
    await waitFor(() => cluster.healthy(), { timeoutMs: 30_000, what: 'the cluster back' });

    await rig.addJobs(10, 10);
    await waitFor(async () => (await rig.counted()) === 20, {
      timeoutMs: 30_000,
      what: 'the jobs added after the outage',
    });
  }, 90_000);
});
