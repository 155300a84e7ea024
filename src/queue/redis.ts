import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log/logger';

/**
 * ioredis connections for the pipeline, tuned per use:
 * - `fail-fast` (the proxy's producer, leases): no offline queue and few retries, so a dead
 *   Redis answers with an error at once instead of holding requests;
 * - `worker` (BullMQ workers): BullMQ requires `maxRetriesPerRequest: null` and queues
 *   commands while reconnecting.
 * Both reconnect quickly (at most a second apart) once Redis is back.
 */
export type RedisUse = 'fail-fast' | 'worker';

const reconnectQuickly = (times: number): number => Math.min(times * 100, 1000);

export function redisOptions(use: RedisUse, connectionName: string): RedisOptions {
  const common: RedisOptions = { connectionName, connectTimeout: 2000, retryStrategy: reconnectQuickly };
  if (use === 'worker') return { ...common, maxRetriesPerRequest: null };
  return { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 5000 };
}

/** A connection that logs the first error of an outage and the recovery, not every retry. */
export function createRedis(url: string, use: RedisUse, connectionName: string, logger: Logger): Redis {
  const redis = new Redis(url, redisOptions(use, connectionName));
  let failing = false;
  redis.on('error', (err: Error) => {
    if (!failing) logger.warn({ err, connection: connectionName }, 'Redis connection failing');
    failing = true;
  });
  redis.on('ready', () => {
    if (failing) logger.info({ connection: connectionName }, 'Redis connection back');
    failing = false;
  });
  return redis;
}
