import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { requireAdmin, type AuthFailures } from '../admin/auth';
import type { ErrorCode } from '../errors/registry';
import type { StatsSink } from '../queue/sink';
import { newEventId } from '../stats/event-id';
import { keystemReport, summaryReport, type KeystemReport, type SummaryReport } from '../stats/report';
import { isKeystem, KEYSTEM_PATTERN } from '../stats/schema';
import type { ResetEvent } from '../stats/types';
import type { KeystemPage, StatsStore } from '../store/types';
import type { KeystemMemory } from '../upstream/keystem-memory';
import type { ResetAccepted } from './answers';
import { httpError } from './errors';

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

/** The `{keystem}` of the keydata paths ("all" names the summary, never a keystem). */
export const keystemParamSchema = z
  .string()
  .regex(KEYSTEM_PATTERN)
  .describe('a keystem: 1 to 64 characters of A-Z, a-z, 0-9, _ and -');

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
});

function parseKeystem(value: unknown): string {
  if (!isKeystem(value)) throw httpError('PACPROXY_ERR_BAD_KEYSTEM');
  return value;
}

function parsePage(query: Record<string, unknown>): { limit: number; after?: string } {
  const parsed = pageQuerySchema.safeParse(query);
  if (parsed.success) return parsed.data;
  const message =
    parsed.error.issues[0]?.path[0] === 'limit'
      ? `limit is a whole number from 1 to ${MAX_PAGE}`
      : 'after is the `next` of the previous page';
  throw httpError('PACPROXY_ERR_BAD_PAGE', message);
}

/** Aggregates are read live from the store: no cache may keep an old answer. */
function sendFresh(res: Response, body: KeystemReport | SummaryReport | KeystemPage): void {
  res.setHeader('Cache-Control', 'no-store');
  res.json(body);
}

/**
 * The statistics API: `GET /api/keydata/all`, `GET /api/keydata` (keystems, paginated),
 * `GET /api/keydata/{keystem}`, and `DELETE /api/keydata/{keystem}` (admin token), which sends a
 * reset event through the keystem's shard stream and answers once it is accepted.
 */
export function keydataRoutes(options: KeydataRoutesOptions): Router {
  const { store, sink, adminToken } = options;
  const read: RequestHandler = options.readGuard ?? ((_req, _res, next) => next());
  const router = Router();

  /** A store or sink that fails is an unavailable service, not a bug: 503, cause in the log. */
  const unavailable =
    (what: string, code: ErrorCode) =>
    async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (err) {
        throw httpError(code, `${what} is unavailable, try again`, err);
      }
    };
  const fromStore = unavailable('the statistics store', 'PACPROXY_ERR_STORE_UNAVAILABLE');
  const toQueue = unavailable('the statistics queue', 'PACPROXY_ERR_QUEUE_UNAVAILABLE');

  router.get('/api/keydata/all', read, async (_req, res) => {
    const summary = await fromStore(() => store.getSummary());
    sendFresh(res, summaryReport(summary));
  });

  router.get('/api/keydata', read, async (req, res) => {
    const page = parsePage(req.query);
    sendFresh(res, await fromStore(() => store.listKeystems(page)));
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
