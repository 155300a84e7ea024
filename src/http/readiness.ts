import type { RequestHandler } from 'express';
import type { DegradedPart, SinkHealth } from '../queue/sink';
import { withTimeout } from '../util/with-timeout';
import type { NotReady, Ready } from './answers';
import { ERRORS } from '../errors/registry';

export interface ReadinessOptions {
  /** the stats sink: can it accept events now (Redis, or the outbox while it has room) */
  sink: { health(): Promise<SinkHealth> };
  /** the store the keydata routes read */
  store: { ping(): Promise<void> };
  /** each part must answer within this long */
  timeoutMs?: number;
}

/**
 * GET /readyz answers "can this process accept and record requests now": 200 while stats
 * events go to Redis, or to the outbox while it has room; 503 when neither, so a load balancer
 * stops sending traffic that could not be counted. `degraded` names each part not working as
 * it should (redis, outbox, store) with why, whether or not it costs readiness: a store that
 * cannot be read costs the keydata routes, not the recording of pack requests.
 */
const NOT_READY = 'PACPROXY_ERR_NOT_READY' satisfies keyof typeof ERRORS;

export function readiness(options: ReadinessOptions): RequestHandler {
  const timeoutMs = options.timeoutMs ?? 1000;
  return async (_req, res) => {
    const [sink, store] = await Promise.all([
      withTimeout(options.sink.health(), timeoutMs, 'stats sink health').catch(
        (err: unknown): SinkHealth => ({
          accepting: false,
          degraded: [{ part: 'redis', reason: (err as Error).message }],
        }),
      ),
      withTimeout(options.store.ping(), timeoutMs, 'store').then(
        () => null,
        (err: unknown): DegradedPart => ({ part: 'store', reason: `read: ${(err as Error).message}` }),
      ),
    ]);
    const degraded = store ? [...sink.degraded, store] : sink.degraded;
    if (!sink.accepting) {
      const why = sink.degraded.map((d) => `${d.part}: ${d.reason}`).join('; ');
      res.status(503).json({
        Message: `not ready: cannot record requests (${why})`,
        Code: NOT_READY,
        degraded,
      } satisfies NotReady);
      return;
    }
    res.json({ status: 'ready', degraded } satisfies Ready);
  };
}
