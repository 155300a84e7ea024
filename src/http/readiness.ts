import type { RequestHandler } from 'express';
import { withTimeout } from '../util/with-timeout';
import type { RedisTopologyFault } from '../queue/redis';
import type { StatsSink } from '../queue/sink';
import { HttpError } from './errors';

/** What a topology fault most likely means, for the operator reading /readyz. */
const FAULT_HINTS: Record<RedisTopologyFault, string> = {
  MOVED: 'REDIS_URL names one node of a Redis Cluster: set REDIS_CLUSTER_NODES instead',
  ASK: 'REDIS_URL names one node of a Redis Cluster: set REDIS_CLUSTER_NODES instead',
  CROSSSLOT: 'a command spans several hash slots of the Redis Cluster',
  READONLY:
    'the Redis node is a replica (its master failed over): use REDIS_SENTINELS or REDIS_CLUSTER_NODES',
  CLUSTERDOWN: 'the Redis Cluster has no master for some slots (failing over, or down)',
  MASTERDOWN: 'the Redis replica lost its master',
};

export interface ReadinessOptions {
  /** the proxy's Redis connection (queues, keystem memory) */
  redis: { ping(): Promise<unknown> };
  store: { ping(): Promise<void> };
  /** the stats sink: a Redis that refuses events for its topology makes the proxy not ready */
  sink?: Pick<StatsSink, 'topologyFault'>;
  /** each part must answer within this long */
  timeoutMs?: number;
}

/**
 * GET /readyz: 200 only when Redis and the store both answer, else 503 naming what failed, so
 * a load balancer stops sending traffic to a proxy that cannot count it.
 */
export function readiness(options: ReadinessOptions): RequestHandler {
  const timeoutMs = options.timeoutMs ?? 1000;
  const parts = { redis: () => options.redis.ping(), store: () => options.store.ping() };
  return async (_req, res) => {
    const results = await Promise.allSettled(
      Object.entries(parts).map(([name, ping]) => withTimeout(ping(), timeoutMs, name)),
    );
    const failing = Object.keys(parts).filter((_, i) => results[i]?.status === 'rejected');
    const fault = options.sink?.topologyFault?.() ?? null;
    if (fault) {
      throw new HttpError(
        503,
        'PACPROXY_ERR_NOT_READY',
        `not ready: Redis refuses stats events (${fault}): ${FAULT_HINTS[fault]}`,
      );
    }
    if (failing.length > 0) {
      throw new HttpError(503, 'PACPROXY_ERR_NOT_READY', `not ready: ${failing.join(' and ')} unreachable`);
    }
    res.json({ status: 'ready' });
  };
}
