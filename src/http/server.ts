import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../config';
import { ERRORS, type ErrorCode } from '../errors/registry';
import { errorFields } from './errors';

type ServerLimits = Pick<
  Config,
  'HEADERS_TIMEOUT_MS' | 'REQUEST_TIMEOUT_MS' | 'KEEP_ALIVE_TIMEOUT_MS' | 'MAX_CONNECTIONS'
>;

/**
 * The proxy's node:http server, with the limits that keep slow or idle clients from holding
 * connections: the headers within HEADERS_TIMEOUT_MS, the whole request within
 * REQUEST_TIMEOUT_MS (both answered 408 and closed), an idle keep-alive connection closed after
 * KEEP_ALIVE_TIMEOUT_MS, and at most MAX_CONNECTIONS open at once (further ones are closed).
 * What Node's parser refuses is answered `{"Message", "Code"}` too (`answerClientError`).
 */
export function createProxyServer(
  listener: RequestListener,
  limits: ServerLimits,
  /** told the code of each request refused before any route ran (for a metric) */
  onRefused?: (code: ErrorCode) => void,
): Server {
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
  server.on('clientError', (err: Error & { code?: unknown }, socket: Duplex) =>
    answerClientError(err, socket, onRefused),
  );
  return server;
}

/** The registry code of an error Node's HTTP server raised before any request handler ran. */
function clientErrorCode(err: { code?: unknown }): ErrorCode {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'PACPROXY_ERR_HEADERS_TOO_LARGE';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'PACPROXY_ERR_CHUNK_EXT_TOO_LARGE';
    case 'ERR_HTTP_REQUEST_TIMEOUT': // HEADERS_TIMEOUT_MS or REQUEST_TIMEOUT_MS passed
      return 'PACPROXY_ERR_REQUEST_TIMEOUT';
    default:
      return 'PACPROXY_ERR_BAD_HTTP_REQUEST';
  }
}

/** What Node's own `clientError` answer would be, with our body: one HTTP/1.1 message, then close. */
function clientErrorResponse(code: ErrorCode): string {
  const { status, message } = ERRORS[code];
  if (status === null) throw new Error(`${code} is not answered over HTTP`);
  const body = JSON.stringify(errorFields({ code, message }));
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n' +
    '\r\n' +
    body
  );
}

/**
 * The server's `clientError` listener, in place of Node's default (which answers the same
 * statuses with no body): a request Node's parser refuses (malformed, headers over its size
 * limit) or one that missed HEADERS_TIMEOUT_MS / REQUEST_TIMEOUT_MS. As Node does, it answers
 * only if the socket can still be written and no answer of a request on it has begun (else the
 * client would read a corrupt message), and it always destroys the socket before returning (the
 * listener owns it). A connection reset by the client is just destroyed; every other refusal
 * is reported to `onRefused`, answered or not.
 */
function answerClientError(
  err: Error & { code?: unknown },
  socket: Duplex,
  onRefused?: (code: ErrorCode) => void,
): void {
  if (err.code !== 'ECONNRESET') {
    const code = clientErrorCode(err);
    onRefused?.(code);
    // Node's own test: the response in flight on this socket, if any, has written nothing yet
    const inFlight = (socket as { _httpMessage?: { _headerSent?: boolean; headersSent?: boolean } })
      ._httpMessage;
    const answered = inFlight?._headerSent === true || inFlight?.headersSent === true;
    if (socket.writable && !answered) socket.write(clientErrorResponse(code));
  }
  socket.destroy();
}
