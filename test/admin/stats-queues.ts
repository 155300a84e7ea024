import type { Queue } from 'bullmq';
import { createDeadLetterQueue, createShardQueues } from '../../src/queue/queues';
import { createLogger } from '../../src/log/logger';
import { createRedis } from '../../src/queue/redis';

/** The proxy's view of the stats queues (every shard, then the dead-letter queue) on a test Redis. */
export async function openStatsQueues(redisUrl: string, shards: number) {
  const connection = createRedis(redisUrl, 'fail-fast', 'test-stats-queues', createLogger('silent'));
  const queues: Queue[] = [...createShardQueues(connection, shards), createDeadLetterQueue(connection)];
  await Promise.all(queues.map((q) => q.waitUntilReady()));
  return {
    connection,
    queues,
    async close() {
      await Promise.all(queues.map((q) => q.close()));
      connection.disconnect();
    },
  };
}
