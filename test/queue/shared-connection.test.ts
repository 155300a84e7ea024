import { once } from 'node:events';
import { createDeadLetterQueue, createShardQueues } from '../../src/queue/queues';
import { createRedis, type RedisClient, type RedisUse } from '../../src/queue/redis';
import { shardLayout } from '../../src/queue/shard';
import { createManualWorker } from '../../workers/manual-worker';
import { freePort } from '../helpers/net';
import { captureLogger } from '../pipeline/support/log';

/**
 * A proxy or worker started while Redis is down and stopped before Redis ever came up closes
 * its queues or workers before their shared connection was ready. BullMQ still waits for that
 * connection underneath and reports the wait's failure as an 'error' event once the connection
 * ends — after the close removed every listener: unheard, it would be an unhandled error that
 * crashes the stopping process instead of letting it exit cleanly.
 */
describe('closed before their shared connection was ever ready', () => {
  let unhandled: unknown[];
  const record = (reason: unknown) => unhandled.push(reason);

  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', record);
  });

  afterEach(() => {
    process.off('unhandledRejection', record);
  });

  /** A connection to a port nothing listens on (refused, as when Redis is down). */
  async function downRedis(use: RedisUse) {
    return createRedis(`redis://127.0.0.1:${await freePort()}`, use, 'test', captureLogger().logger);
  }

  /**
   * What surfaces once the connection was refused while the queues or workers waited for it,
   * they were closed, and the connection ended: BullMQ's wait fails on the connection's 'end'.
   */
  async function unhandledAfter(redis: RedisClient, close: () => Promise<void>): Promise<unknown[]> {
    await once(redis, 'error');
    await close();
    redis.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 100));
    return unhandled;
  }

  it('the shard and dead-letter queues leave no unhandled error behind', async () => {
    const redis = await downRedis('fail-fast');
    const queues = [...createShardQueues(redis, 2), createDeadLetterQueue(redis)];
    const close = async () => void (await Promise.all(queues.map((q) => q.close())));
    expect(await unhandledAfter(redis, close)).toEqual([]);
  });

  it('a shard worker leaves no unhandled error behind', async () => {
    const redis = await downRedis('worker');
    const worker = createManualWorker(shardLayout(0), redis, 'test-worker', 1000);
    worker.on('error', () => undefined);
    expect(await unhandledAfter(redis, () => worker.close())).toEqual([]);
  });
});
