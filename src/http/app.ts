import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Config } from '../config';
import type { Logger } from '../log/logger';
import type { StatsSink } from '../queue/sink';
import type { StatsStore } from '../store/types';
import { errorHandler, notFound } from './errors';
import { keydataRoutes } from './keydata-routes';

/** Everything the HTTP app needs, handed in so tests build it from real parts on free ports. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  /** where stats events go (the BullMQ producer in production, memory in some tests) */
  sink: StatsSink;
  /** the statistics store; without one the /api/keydata routes are not mounted */
  store?: StatsStore;
}

/** Builds the Express app. No listening, no connecting: the caller owns lifecycles. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(helmet());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  if (deps.store) {
    app.use(
      keydataRoutes({
        store: deps.store,
        sink: deps.sink,
        adminToken: deps.config.ADMIN_TOKEN,
        logger: deps.logger,
      }),
    );
  }

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
