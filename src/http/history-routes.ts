import { z } from 'zod';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import {
  bucketsOf,
  CalendarError,
  EARLIEST,
  INTERVALS,
  LATEST,
  SUPPORTED_RANGE,
  Zone,
  type Bucket,
  type Interval,
} from '../history/calendar';
import { HOUR_MS } from '../stats/fold';
import {
  historyPoint,
  summaryHistoryPoint,
  type HistoryPoint,
  type SummaryHistoryPoint,
} from '../stats/report';
import type { StatsStore } from '../store/types';
import { flatten, toCsv } from './csv';
import { HttpError, httpError } from './errors';
import { parseKeystem, sendFresh, noStore } from './keydata-http';
import { storeCall } from './unavailable';

export interface HistoryRoutesOptions {
  store: StatsStore;
  /** the guard of every read (readAccess), as on the other keydata routes */
  readGuard: RequestHandler;
}

/** A range query as asked: ISO 8601 instants with a zone or Z; `to` exclusive. */
interface HistoryQuery {
  from: number;
  to: number;
  interval: Interval;
  zone: Zone;
  csv: boolean;
}

/** The query of the history routes, as documented (parseQuery checks it, with messages per mistake). */
export const historyQuerySchema = z.object({
  from: z
    .string()
    .optional()
    .describe(
      'ISO 8601 instant with a zone, e.g. 2026-03-01T00:00:00Z, in the years 1970 to 9999; default: `to` − 24 h',
    ),
  to: z
    .string()
    .optional()
    .describe(
      'ISO 8601 instant, exclusive, at most 10000-01-01T00:00:00Z; default: the end of the current hour',
    ),
  interval: z.enum(INTERVALS).default('hour').describe('the width of each point'),
  tz: z
    .string()
    .default('UTC')
    .describe(
      'IANA zone whose days, ISO weeks and months the points follow; its offset must be whole hours in the range',
    ),
  format: z
    .enum(['json', 'csv'])
    .optional()
    .describe('csv: RFC 4180, one row per point, maps as one column per key'),
});

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const DEFAULT_RANGE_MS = 24 * HOUR_MS;

const bad = (message: string) => httpError('PACPROXY_ERR_BAD_HISTORY_QUERY', message);

function single(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw bad(`${name} is given more than once or malformed`);
  return value;
}

function instant(req: Request, name: 'from' | 'to'): number | undefined {
  const value = single(req, name);
  if (value === undefined) return undefined;
  const fields = INSTANT.exec(value);
  // Date.parse rolls a day past the month's end over (2026-02-31 → 2026-03-03): refused here
  const [year, month, day] = (fields?.slice(1, 4) ?? []).map(Number) as [number, number, number];
  const exists = fields !== null && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
  const t = exists ? Date.parse(value) : NaN;
  if (!Number.isFinite(t)) {
    throw bad(
      `${name} is not an ISO 8601 instant with a zone, such as 2026-03-01T00:00:00Z, on a day that exists: ${JSON.stringify(value.slice(0, 64))}`,
    );
  }
  return t;
}

/** Refuses an instant outside the calendar's years (statistics cannot predate 1970). */
function supported(name: 'from' | 'to', t: number): void {
  if (t < EARLIEST || t > LATEST) {
    throw bad(`${name} is ${new Date(t).toISOString()}: a history range lies within ${SUPPORTED_RANGE}`);
  }
}

/** The query of a history route; throws 400 with a message naming what is wrong. */
function parseQuery(req: Request): HistoryQuery {
  const intervalName = single(req, 'interval') ?? 'hour';
  if (!(INTERVALS as readonly string[]).includes(intervalName)) {
    throw bad(`interval is one of ${INTERVALS.join(', ')}, not ${JSON.stringify(intervalName.slice(0, 32))}`);
  }
  const format = single(req, 'format');
  if (format !== undefined && format !== 'json' && format !== 'csv') throw bad('format is json or csv');
  // the default range: the last 24 hours, the current one included
  const toAsked = instant(req, 'to');
  const fromAsked = instant(req, 'from');
  const to =
    toAsked ??
    (fromAsked !== undefined
      ? fromAsked + DEFAULT_RANGE_MS
      : Math.floor(Date.now() / HOUR_MS) * HOUR_MS + HOUR_MS);
  const from = fromAsked ?? to - DEFAULT_RANGE_MS;
  supported('from', from);
  supported('to', to);
  if (from >= to) throw bad('from must be before to');
  let zone: Zone;
  try {
    zone = Zone.of(single(req, 'tz') ?? 'UTC');
  } catch (err) {
    throw calendarProblem(err);
  }
  const csv =
    format === 'csv' ||
    (format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
  return { from, to, interval: intervalName as Interval, zone, csv };
}

function calendarProblem(err: unknown): unknown {
  return err instanceof CalendarError ? new HttpError(400, err.code, err.message) : err;
}

function bucketsFor(q: HistoryQuery): Bucket[] {
  try {
    return bucketsOf(q.from, q.to, q.interval, q.zone);
  } catch (err) {
    throw calendarProblem(err);
  }
}

/** 20260301T000000Z: an instant as it can stand in a file name. */
function compact(t: number): string {
  return new Date(t).toISOString().replace(/[-:]|\.\d{3}/g, '');
}

function send(
  res: Response,
  q: HistoryQuery,
  head: { usedKeystem?: string },
  points: (HistoryPoint | SummaryHistoryPoint)[],
): void {
  const range = {
    interval: q.interval,
    tz: q.zone.name,
    from: new Date(q.from).toISOString(),
    to: new Date(q.to).toISOString(),
  };
  if (!q.csv) {
    sendFresh(res, { ...head, ...range, points });
    return;
  }
  const table = flatten(points as unknown as Record<string, unknown>[]);
  const name = `pacproxy-history-${head.usedKeystem ?? 'all'}-${compact(q.from)}-${compact(q.to)}-${q.interval}.csv`;
  noStore(res)
    .type('text/csv; charset=utf-8; header=present')
    .setHeader('Content-Disposition', `attachment; filename="${name}"`)
    .send(toCsv(table.columns, table.rows));
}

/**
 * `GET /api/keydata/{keystem}/history` and `GET /api/keydata/all/history`: the hourly history
 * in points of an hour, a day, an ISO week or a month of a time zone, as JSON or CSV.
 */
export function historyRoutes({ store, readGuard }: HistoryRoutesOptions): Router {
  const router = Router();
  const fromStore = storeCall;

  router.get('/api/keydata/all/history', readGuard, async (req, res) => {
    const q = parseQuery(req);
    const buckets = bucketsFor(q);
    const totals = await fromStore(() => store.getSummaryHistory(buckets));
    send(
      res,
      q,
      {},
      totals.map((t, i) => summaryHistoryPoint(q.zone.iso((buckets[i] as Bucket).start), t)),
    );
  });

  router.get('/api/keydata/:keystem/history', readGuard, async (req, res) => {
    const keystem = parseKeystem(req.params.keystem);
    const q = parseQuery(req);
    const buckets = bucketsFor(q);
    if (!(await fromStore(() => store.getKeystem(keystem)))) {
      throw httpError('PACPROXY_ERR_UNKNOWN_KEYSTEM', `no data for keystem ${keystem}`);
    }
    const totals = await fromStore(() => store.getKeystemHistory(keystem, buckets));
    send(
      res,
      q,
      { usedKeystem: keystem },
      totals.map((t, i) => historyPoint(q.zone.iso((buckets[i] as Bucket).start), t)),
    );
  });

  return router;
}
