import type { RequestHandler } from 'express';
import { PackFlow, type PackFlowOptions, type PackRoute } from './pack-flow';

/**
 * `POST /` (answers the stats) and `POST /pack` (answers Paccurate's own answer, stats in a
 * header), as one middleware that matches method and path directly: mounted first, the hot
 * path never walks the router's layers. Paths match as Express' would (any case, an optional
 * trailing slash, any query string); everything else goes on to the next middleware.
 */
export function packRoutes(options: PackFlowOptions): RequestHandler {
  const flow = new PackFlow(options);
  const handlers: Record<PackRoute, RequestHandler> = {
    '/': flow.handler('/'),
    '/pack': flow.handler('/pack'),
  };
  return (req, res, next) => {
    const route = req.method === 'POST' ? packRouteOf(req.url) : undefined;
    if (route === undefined) return next();
    return handlers[route](req, res, next);
  };
}

/** The pack route a request URL names, if any. */
export function packRouteOf(url: string): PackRoute | undefined {
  const query = url.indexOf('?');
  const path = (query < 0 ? url : url.slice(0, query)).toLowerCase();
  if (path === '/') return '/';
  if (path === '/pack' || path === '/pack/') return '/pack';
  return undefined;
}
