import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { requireAdmin, type AuthFailures } from '../admin/auth';
import type { StatsSink } from '../queue/sink';
import { newEventId } from '../stats/event-id';
import { keystemListItem, keystemReport, summaryReport } from '../stats/report';
import type { ResetEvent } from '../stats/types';
import type { StatsStore } from '../store/types';
import type { KeystemMemory } from '../upstream/keystem-memory';
import type { KeystemPageAnswer, ResetAccepted } from './answers';
import { httpError } from './errors';
import { historyRoutes } from './history-routes';
import { parseKeystem, sendFresh } from './keydata-http';
import { storeCall, unavailable } from './unavailable';

export interface KeydataRoutesOptions {
  store: StatsStore;
  /** where the DELETE's reset event goes: the keystem's shard stream, ordered with its stats */
  sink: StatsSink;
  adminToken: string | undefined;
  /** the guard of every read (readAccess); default: open */
  readGuard?: RequestHandler;
  /** failed authentications, shared across the app's guards */
  failures?: AuthFailures;
  /** the keystems answers named, whose events may not be counted yet (DELETE's "never seen") */
  keystems?: KeystemMemory;
}

const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;

/** The query of `GET /api/keydata`. */
export const pageQuerySchema = z.object({
  // digits only (no "1e2", " 5" or "0x10"), documented as the integer they stand for
  limit: z
    .preprocess(
      (v) => (typeof v === 'string' && /^\d{1,4}$/.test(v) ? Number(v) : v),
      z.number().int().min(1).max(MAX_PAGE),
    )
    .default(DEFAULT_PAGE)
    .describe(`keystems per page; default ${DEFAULT_PAGE}`),
  after: z.string().min(1).max(256).optional().describe('the `next` of the previous page'),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]{0,64}$/)
    .optional()
    .describe('only keystems whose name starts with this'),
});

function parsePage(query: Record<string, unknown>): z.infer<typeof pageQuerySchema> {
  const parsed = pageQuerySchema.safeParse(query);
  if (parsed.success) {
    const { prefix, ...page } = parsed.data;
    return prefix ? { ...page, prefix } : page;
  }
  const messages: Record<string, string> = {
    limit: `limit is a whole number from 1 to ${MAX_PAGE}`,
    after: 'after is the `next` of the previous page',
    prefix: 'prefix is up to 64 characters of A-Z, a-z, 0-9, _ and -',
  };
  throw httpError('PACPROXY_ERR_BAD_PAGE', messages[String(parsed.error.issues[0]?.path[0])]);
}

/**
 * The statistics API: `GET /api/keydata/all`, `GET /api/keydata` (keystems, paginated),
 * `GET /api/keydata/{keystem}`, their history (`…/history`, history-routes.ts), and `DELETE /api/keydata/{keystem}` (admin token), which sends a
 * reset event through the keystem's shard stream and answers once it is accepted.
 */
export function keydataRoutes(options: KeydataRoutesOptions): Router {
  const { store, sink, adminToken } = options;
  const read: RequestHandler = options.readGuard ?? ((_req, _res, next) => next());
  const router = Router();

  const fromStore = storeCall;
  const toQueue = unavailable('the statistics queue', 'PACPROXY_ERR_QUEUE_UNAVAILABLE');

  // before /api/keydata/:keystem, which would otherwise not match these deeper paths anyway
  router.use(historyRoutes({ store, readGuard: read }));

  router.get('/api/keydata/all', read, async (_req, res) => {
    const summary = await fromStore(() => store.getSummary());
    sendFresh(res, summaryReport(summary));
  });

  router.get('/api/keydata', read, async (req, res) => {
    const page = parsePage(req.query);
    const { keystems, next, rows } = await fromStore(() => store.listKeystems(page));
    sendFresh(res, { keystems, next, items: rows.map(keystemListItem) } satisfies KeystemPageAnswer);
  });

  router.get('/api/keydata/:keystem', read, async (req, res) => {
    const keystem = parseKeystem(req.params.keystem);
    const totals = await fromStore(() => store.getKeystem(keystem));
    if (!totals) throw httpError('PACPROXY_ERR_UNKNOWN_KEYSTEM', `no data for keystem ${keystem}`);
    sendFresh(res, keystemReport(totals));
  });

  router.delete('/api/keydata/:keystem', requireAdmin(adminToken, options.failures), async (req, res) => {
    if (req.params.keystem === 'all') throw httpError('PACPROXY_ERR_NOT_A_KEYSTEM');
    const keystem = parseKeystem(req.params.keystem);
    // never seen: nothing stored, and no answer named it (its events may still be in the queues)
    const seen =
      (await fromStore(() => store.getKeystem(keystem))) || (await options.keystems?.seen(keystem));
    if (!seen) {
      throw httpError('PACPROXY_ERR_UNKNOWN_KEYSTEM', `no data for keystem ${keystem}`);
    }
    const at = Date.now();
    const reset: ResetEvent = { kind: 'reset', eventId: newEventId(at), keystem, at };
    await toQueue(() => sink.record(reset));
    const accepted: ResetAccepted = { Message: `delete request sent on keystem ${keystem}` };
    res.json(accepted);
  });

  return router;
}
