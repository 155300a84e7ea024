import { createServer, type RequestListener, type Server } from 'node:http';
import type { Config } from '../config';

type ServerLimits = Pick<
  Config,
  'HEADERS_TIMEOUT_MS' | 'REQUEST_TIMEOUT_MS' | 'KEEP_ALIVE_TIMEOUT_MS' | 'MAX_CONNECTIONS'
>;

/**
 * The proxy's node:http server, with the limits that keep slow or idle clients from holding
 * connections: the headers within HEADERS_TIMEOUT_MS, the whole request within
 * REQUEST_TIMEOUT_MS (both answered 408 and closed), an idle keep-alive connection closed after
 * KEEP_ALIVE_TIMEOUT_MS, and at most MAX_CONNECTIONS open at once (further ones are closed).
 */
export function createProxyServer(listener: RequestListener, limits: ServerLimits): Server {
  const requestTimeout = limits.REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(limits.HEADERS_TIMEOUT_MS, requestTimeout);
  const server = createServer(
    {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: limits.KEEP_ALIVE_TIMEOUT_MS,
      // how often Node checks those deadlines (its default, 30 s, would let them overrun)
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    listener,
  );
  server.maxConnections = limits.MAX_CONNECTIONS;
  return server;
}
