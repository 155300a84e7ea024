import { Router } from 'express';
import { requireAdmin } from '../admin/auth';
import type { Logger } from '../log/logger';
import type { StatsSink } from '../queue/sink';
import { newEventId } from '../stats/event-id';
import { keystemListItem, keystemReport, summaryReport } from '../stats/report';
import type { ResetEvent } from '../stats/types';
import type { PageQuery, StatsStore } from '../store/types';
import { HttpError } from './errors';
import { historyRoutes } from './history-routes';
import { parseKeystem, sendFresh } from './keydata-http';
import { storeCall, unavailable } from './unavailable';

export interface KeydataRoutesOptions {
  store: StatsStore;
  /** where the DELETE's reset event goes: the keystem's shard stream, ordered with its stats */
  sink: StatsSink;
  adminToken: string | undefined;
  logger: Logger;
}

const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;

function parsePage(query: Record<string, unknown>): PageQuery {
  const { limit = String(DEFAULT_PAGE), after, prefix } = query;
  if (
    typeof limit !== 'string' ||
    !/^\d{1,4}$/.test(limit) ||
    Number(limit) < 1 ||
    Number(limit) > MAX_PAGE
  ) {
    throw new HttpError(400, 'PACPROXY_ERR_BAD_PAGE', `limit is a whole number from 1 to ${MAX_PAGE}`);
  }
  if (after !== undefined && (typeof after !== 'string' || after.length < 1 || after.length > 256)) {
    throw new HttpError(400, 'PACPROXY_ERR_BAD_PAGE', 'after is the `next` of the previous page');
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || !/^[A-Za-z0-9_-]{0,64}$/.test(prefix))) {
    throw new HttpError(
      400,
      'PACPROXY_ERR_BAD_PAGE',
      'prefix is up to 64 characters of A-Z, a-z, 0-9, _ and -',
    );
  }
  return {
    limit: Number(limit),
    ...(after === undefined ? {} : { after }),
    ...(prefix ? { prefix } : {}),
  };
}

/**
 * The statistics API: `GET /api/keydata/all`, `GET /api/keydata` (keystems, paginated),
 * `GET /api/keydata/{keystem}`, their history (`…/history`, history-routes.ts), and `DELETE /api/keydata/{keystem}` (admin token), which sends a
 * reset event through the keystem's shard stream and answers once it is accepted.
 */
export function keydataRoutes({ store, sink, adminToken, logger }: KeydataRoutesOptions): Router {
  const router = Router();

  const fromStore = storeCall(logger);
  const toQueue = unavailable(logger, 'the statistics queue', 'PACPROXY_ERR_QUEUE_UNAVAILABLE');

  // before /api/keydata/:keystem, which would otherwise not match these deeper paths anyway
  router.use(historyRoutes({ store, logger }));

  router.get('/api/keydata/all', async (_req, res) => {
    const summary = await fromStore(() => store.getSummary());
    sendFresh(res, summaryReport(summary));
  });

  router.get('/api/keydata', async (req, res) => {
    const page = parsePage(req.query);
    const { keystems, next, rows } = await fromStore(() => store.listKeystems(page));
    sendFresh(res, { keystems, next, items: rows.map(keystemListItem) });
  });

  router.get('/api/keydata/:keystem', async (req, res) => {
    const keystem = parseKeystem(req.params.keystem);
    const totals = await fromStore(() => store.getKeystem(keystem));
    if (!totals) throw new HttpError(404, 'PACPROXY_ERR_UNKNOWN_KEYSTEM', `no data for keystem ${keystem}`);
    sendFresh(res, keystemReport(totals));
  });

  router.delete('/api/keydata/:keystem', requireAdmin(adminToken), async (req, res) => {
    const keystem = parseKeystem(req.params.keystem);
    const at = Date.now();
    const reset: ResetEvent = { kind: 'reset', eventId: newEventId(at), keystem, at };
    await toQueue(() => sink.record(reset));
    res.json({ Message: `delete request sent on keystem ${keystem}` });
  });

  return router;
}
