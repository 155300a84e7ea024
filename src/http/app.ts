import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import type { RequestListener } from 'node:http';
import helmet from 'helmet';
import { AuthFailures, readAccess } from '../admin/auth';
import { queueBoard, QUEUE_BOARD_PATH } from '../admin/queue-board';
import type { Config } from '../config';
import { dashboardRoutes } from '../dashboard/dashboard-routes';
import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/metrics';
import { metricsRoute } from '../metrics/metrics-route';
import { QueueGauges } from '../metrics/queue-gauges';
import { docsRoutes } from '../openapi/docs-routes';
import type { StatsSink } from '../queue/sink';
import { KeystemMemory } from '../upstream/keystem-memory';
import type { Upstream } from '../upstream/types';
import type { StatsStore } from '../store/types';
import type { Health } from './answers';
import { errorHandler, notFound } from './errors';
import { homePage } from './home-page';
import { keydataRoutes } from './keydata-routes';
import { packRoutes, type PackRoutes } from './pack-routes';
import { parseByteSize } from './read-pack-request';
import { readiness } from './readiness';
import type { InFlightCount } from '../util/in-flight';
import { headersOf } from './security-headers';

/** Everything the HTTP app needs, handed in so tests build it from real parts on free ports. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  /** where stats events go (the BullMQ producer in production, memory in some tests) */
  sink: StatsSink;
  /** Paccurate (or a cache in front of it); without one the pack routes are not mounted */
  upstream?: Upstream;
  /** keystem attribution when an answer has none; default: this process's memory only */
  keystems?: KeystemMemory;
  /** the pack requests in progress, counted for the sink's group commit (QueueSink) */
  requestsInFlight?: InFlightCount;
  /** the statistics store; without one the /api/keydata routes are not mounted */
  store?: StatsStore;
  /** this process's metrics; without them GET /metrics is not mounted */
  metrics?: Metrics;
  /** every shard queue and the dead-letter queue: Bull Board and the queue gauges of /metrics */
  queues?: readonly Queue[];
  /** the dashboard's built browser files; default dist/dashboard (`npm run build`) */
  dashboardAssetsDir?: string;
}

/** Where an app keeps its pack routes (Express' own app-level store), for `requestListener`. */
interface AppLocals {
  packRoutes?: PackRoutes;
}

/** Builds the Express app. No listening, no connecting: the caller owns lifecycles. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // the client address the failed-authentication delay is kept by (req.ip): behind TRUST_PROXY
  // reverse proxies, from X-Forwarded-For, else every client would share the last proxy's
  app.set('trust proxy', deps.config.TRUST_PROXY);
  const securityHeaders = helmet();
  const keystems = deps.keystems ?? new KeystemMemory({ redis: null, logger: deps.logger });
  const failures = new AuthFailures({ onFailure: (realm) => deps.metrics?.authFailures.inc({ realm }) });

  // The pack routes come first: they are the hot path, matched without walking the middleware
  // stack, and answer with helmet's headers written once rather than set per request.
  if (deps.upstream) {
    const pack = packRoutes({
      logger: deps.logger,
      sink: deps.sink,
      upstream: deps.upstream,
      keystems,
      requestLimits: {
        bodyBytes: parseByteSize(deps.config.BODY_LIMIT),
        jsonDepth: deps.config.JSON_MAX_DEPTH,
      },
      boxTypeLimits: { maxBoxTypes: deps.config.BOX_TYPES_MAX, maxRefIdLength: deps.config.REFID_MAX_LENGTH },
      metrics: deps.metrics,
      headers: headersOf(securityHeaders),
      requestsInFlight: deps.requestsInFlight,
    });
    app.use(pack);
    (app.locals as AppLocals).packRoutes = pack;
  }
  app.use(securityHeaders);

  app.get('/', homePage);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' } satisfies Health);
  });
  app.use(docsRoutes());

  if (deps.store) {
    // one rule for whoever reads statistics: the keydata API, its history and the dashboard
    const readGuard = readAccess({
      mode: deps.config.READ_ACCESS,
      readToken: deps.config.READ_TOKEN,
      adminToken: deps.config.ADMIN_TOKEN,
      keystems,
      failures,
    });
    app.use(
      keydataRoutes({
        store: deps.store,
        sink: deps.sink,
        adminToken: deps.config.ADMIN_TOKEN,
        failures,
        keystems,
        readGuard,
      }),
    );
    app.use(
      dashboardRoutes({
        readGuard,
        assetsDir: deps.dashboardAssetsDir,
        flushIntervalMs: deps.config.FLUSH_INTERVAL_MS,
        currency: deps.config.DASHBOARD_CURRENCY,
      }),
    );
  }

  if (deps.metrics) {
    if (deps.queues)
      new QueueGauges({ registry: deps.metrics.registry, queues: deps.queues, logger: deps.logger });
    app.get('/metrics', metricsRoute(deps.metrics.registry));
  }
  if (deps.store) app.get('/readyz', readiness({ sink: deps.sink, store: deps.store }));
  if (deps.queues) {
    app.use(
      QUEUE_BOARD_PATH,
      queueBoard({ queues: deps.queues, adminToken: deps.config.ADMIN_TOKEN, failures }),
    );
  }

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}

/**
 * The node:http request listener for an app: pack requests go straight to the pack routes,
 * without Express' per-request setup (prototype swaps, the router walk: ~8% of the proxy's
 * allocations in the heap profile); everything else goes through the app as usual.
 */
export function requestListener(app: Express): RequestListener {
  const pack = (app.locals as AppLocals).packRoutes;
  if (!pack) return app;
  return (req, res) => pack(req, res, () => app(req, res));
}
