import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CachingUpstream } from '../cache/caching-upstream';
import { RequestCache } from '../cache/request-cache';
import type { Config } from '../config';
import { createApp, requestListener } from '../http/app';
import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/metrics';
import { Outbox } from '../queue/outbox';
import { QueueSink } from '../queue/producer';
import { createDeadLetterQueue, createShardQueues } from '../queue/queues';
import { createRedis, type RedisTarget } from '../queue/redis';
import type { StatsStore } from '../store/types';
import { KeystemMemory } from '../upstream/keystem-memory';
import { PaccurateClient } from '../upstream/paccurate-client';
import type { Upstream } from '../upstream/types';

export interface ProxyRoleOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** the Redis (a URL: one node) */
  redis: RedisTarget | string;
  store: StatsStore;
}

export interface ProxyRole {
  port: number;
  /** stops taking requests, finishes those in flight, closes what it opened (not the store) */
  close(): Promise<void>;
}

/**
 * The proxy: pack routes forwarding to Paccurate (behind the request cache when it is on), the
 * stats sink into the shard queues with its outbox, keydata, /metrics, /readyz, Bull Board.
 */
export async function startProxy(options: ProxyRoleOptions): Promise<ProxyRole> {
  const { config, logger, metrics, store } = options;
  const redis = createRedis(options.redis, 'fail-fast', 'pacproxy-proxy', logger);
  const queues = createShardQueues(redis, config.SHARDS);
  const deadLetters = createDeadLetterQueue(redis);
  const outbox = await Outbox.open({ dir: config.OUTBOX_DIR, logger });
  const sink = new QueueSink({
    redis,
    queues,
    outbox,
    enqueueTimeoutMs: config.ENQUEUE_TIMEOUT_MS,
    logger,
    metrics,
  });
  const paccurate = new PaccurateClient({
    url: config.PACCURATE_URL,
    timeoutMs: config.PACCURATE_TIMEOUT_MS,
  });
  const upstream: Upstream =
    config.CACHE_TTL_SECONDS > 0
      ? new CachingUpstream(
          paccurate,
          new RequestCache({
            redis: options.redis,
            ttlSeconds: config.CACHE_TTL_SECONDS,
            maxBytes: config.CACHE_MAX_BYTES,
            logger,
            metrics,
          }),
        )
      : paccurate;
  const app = createApp({
    config,
    logger,
    sink,
    upstream,
    keystems: new KeystemMemory({ redis, logger }),
    store,
    metrics,
    redis,
    queues: [...queues, deadLetters],
  });
  const server = createServer(requestListener(app));
  await listen(server, config.PORT, config.HOST);
  const port = (server.address() as AddressInfo).port;
  logger.info(
    { host: config.HOST, port, paccurate: new URL(config.PACCURATE_URL).origin },
    'pacproxy listening',
  );

  return {
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await sink.close();
      await outbox.close();
      await Promise.allSettled([upstream.close(), ...queues.map((q) => q.close()), deadLetters.close()]);
      redis.disconnect();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
