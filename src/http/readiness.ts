import type { RequestHandler } from 'express';
import { withTimeout } from '../util/with-timeout';
import { httpError } from './errors';

export interface ReadinessOptions {
  /** the proxy's Redis connection (queues, keystem memory) */
  redis: { ping(): Promise<unknown> };
  store: { ping(): Promise<void> };
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
    if (failing.length > 0) {
      throw httpError('PACPROXY_ERR_NOT_READY', `not ready: ${failing.join(' and ')} unreachable`);
    }
    res.json({ status: 'ready' });
  };
}
