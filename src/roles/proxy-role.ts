import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CachingUpstream } from '../cache/caching-upstream';
import { RequestCache } from '../cache/request-cache';
import type { Config } from '../config';
import { createApp, requestListener } from '../http/app';
import { parseByteSize } from '../http/read-pack-request';
import { createProxyServer } from '../http/server';
import {
  runShutdown,
  StepIncompleteError,
  type ShutdownReport,
  type ShutdownStep,
} from '../lifecycle/shutdown';
import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/metrics';
import { Outbox } from '../queue/outbox';
import { QueueSink } from '../queue/producer';
import { createDeadLetterQueue, createShardQueues } from '../queue/queues';
import { createRedis, type RedisTarget } from '../queue/redis';
import type { StatsStore } from '../store/types';
import { KeystemMemory } from '../upstream/keystem-memory';
import { PaccurateClient } from '../upstream/paccurate-client';
import { InFlightCount } from '../util/in-flight';
import type { Upstream } from '../upstream/types';

export interface ProxyRoleOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** the Redis: a URL (one node) or any shape of src/queue/redis.ts */
  redis: RedisTarget | string;
  store: StatsStore;
}

export interface ProxyRole {
  port: number;
  /**
   * The stop, in order: stop accepting and close idle connections; let requests in flight finish
   * (their events reach Redis or the outbox) for half of `timeoutMs`; then end the Paccurate
   * calls still open as timeouts (answered 504, counted) and close every connection; then the
   * sink, the outbox and the connections it opened (not the store: the caller's).
   */
  shutdownSteps(timeoutMs: number): ShutdownStep[];
  /** Runs the stop (tests and tools; processes stop through src/lifecycle/signals.ts). */
  close(timeoutMs?: number): Promise<ShutdownReport>;
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
  const requestsInFlight = new InFlightCount();
  const sink = new QueueSink({
    redis,
    queues,
    outbox,
    enqueueTimeoutMs: config.ENQUEUE_TIMEOUT_MS,
    groupMs: config.ENQUEUE_GROUP_MS,
    requestsInFlight,
    logger,
    metrics,
    // a Cluster's or Sentinel's master may die and its replica take over: wait for a replica
    replicated: typeof options.redis !== 'string' && options.redis.shape !== 'node',
  });
  const paccurate = new PaccurateClient({
    url: config.PACCURATE_URL,
    timeoutMs: config.PACCURATE_TIMEOUT_MS,
    maxAnswerBytes: parseByteSize(config.UPSTREAM_ANSWER_LIMIT),
    maxJsonDepth: config.JSON_MAX_DEPTH,
  });
  const cache =
    config.CACHE_TTL_SECONDS > 0
      ? new RequestCache({
          redis: options.redis,
          ttlSeconds: config.CACHE_TTL_SECONDS,
          maxBytes: config.CACHE_MAX_BYTES,
          logger,
          metrics,
        })
      : null;
  const upstream: Upstream = cache ? new CachingUpstream(paccurate, cache) : paccurate;
  const app = createApp({
    config,
    logger,
    sink,
    upstream,
    keystems: new KeystemMemory({ redis, logger }),
    requestsInFlight,
    store,
    metrics,
    queues: [...queues, deadLetters],
  });
  const server = createProxyServer(requestListener(app), config, (code) => metrics.httpRefused.inc({ code }));
  await listen(server, config.PORT, config.HOST);
  const port = (server.address() as AddressInfo).port;
  logger.info(
    { host: config.HOST, port, paccurate: new URL(config.PACCURATE_URL).origin },
    'pacproxy listening',
  );

  const draining = drain(server);
  const shutdownSteps = (timeoutMs: number): ShutdownStep[] => [
    { name: 'requests in flight', timeoutMs: timeoutMs / 2, run: draining.start },
    {
      name: 'Paccurate calls',
      timeoutMs: timeoutMs / 5,
      run: async () => {
        if (draining.done()) return paccurate.close();
        await paccurate.abort();
        await draining.start();
        throw new StepIncompleteError('still open at the deadline, answered 504');
      },
    },
    { name: 'client connections', run: async () => server.closeAllConnections() },
    // Redis first: nothing is in flight any more, and a replay stuck on a paused Redis fails
    // at once (its events stay in the outbox for the next start) instead of holding the stop
    { name: 'Redis connections', run: async () => redis.disconnect() },
    { name: 'stats sink', run: () => sink.close() },
    { name: 'outbox', run: () => outbox.close() },
    { name: 'request cache', run: async () => cache?.close() },
    {
      name: 'queues',
      run: async () => void (await Promise.all([...queues, deadLetters].map((q) => q.close()))),
    },
  ];
  return {
    port,
    shutdownSteps,
    close: (timeoutMs = 10_000) => runShutdown(shutdownSteps(timeoutMs), timeoutMs),
  };
}

/**
 * Stops a server taking connections and waits for the requests in flight. Keep-alive connections
 * are closed as soon as they are idle (a client holding one open does not hold the stop).
 */
function drain(server: Server): { start: () => Promise<void>; done: () => boolean } {
  let closed: Promise<void> | null = null;
  let finished = false;
  return {
    done: () => finished,
    start: () => {
      closed ??= new Promise<void>((resolve) => {
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearInterval(idle);
          finished = true;
          resolve();
        });
        server.closeIdleConnections();
      });
      return closed;
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
