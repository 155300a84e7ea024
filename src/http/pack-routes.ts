import type { IncomingMessage, ServerResponse } from 'node:http';
import { PackFlow, type PackFlowOptions, type PackRoute } from './pack-flow';

/**
 * A pack request handler that hands everything else to `next`; usable as Express middleware.
 * `paths` names what it serves (Express cannot see routes inside a middleware).
 */
export type PackRoutes = ((req: IncomingMessage, res: ServerResponse, next: () => void) => void) & {
  readonly paths: readonly PackRoute[];
};

const PACK_PATHS: readonly PackRoute[] = ['/', '/pack'];

/**
 * `POST /` (answers the stats) and `POST /pack` (answers Paccurate's own answer, stats in a
 * header), matched by method and path directly. Mounted first in the app, and called by the
 * server before Express (see `requestListener`), so the hot path neither walks the router nor
 * pays Express' per-request setup. Paths match as Express' would (any case, an optional
 * trailing slash, any query string).
 */
export function packRoutes(options: PackFlowOptions): PackRoutes {
  const flow = new PackFlow(options);
  const serve = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const route = req.method === 'POST' ? packRouteOf(req.url ?? '') : undefined;
    if (route === undefined) next();
    // not awaited: node:http has no use for the promise, and handle() never rejects (it answers 500)
    else void flow.handle(route, req, res);
  };
  return Object.assign(serve, { paths: PACK_PATHS });
}

/** The pack route a request URL names, if any. */
export function packRouteOf(url: string): PackRoute | undefined {
  const query = url.indexOf('?');
  const path = (query < 0 ? url : url.slice(0, query)).toLowerCase();
  if (path === '/') return '/';
  if (path === '/pack' || path === '/pack/') return '/pack';
  return undefined;
}
