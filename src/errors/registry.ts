/**
 * Every error Pacproxy names, in one place: its code (logged, and answered as `Code` beside
 * `Message`), the HTTP status it is answered with (null: it never reaches a client as itself,
 * or it passes on a status someone else chose), and what it means. A site that raises one may
 * give a more precise message; the meaning here is what the README lists.
 */
export interface ErrorSpec {
  status: number | null;
  message: string;
}

export const ERRORS = {
  // refused requests (pack routes and the rest of the HTTP API)
  PACPROXY_ERR_MALFORMED_JSON: { status: 400, message: 'malformed request: body is not valid JSON' },
  PACPROXY_ERR_TOO_DEEP: {
    status: 400,
    message: 'malformed request: JSON nested deeper than JSON_MAX_DEPTH',
  },
  PACPROXY_ERR_ABORTED: { status: 400, message: 'request aborted by the client' },
  PACPROXY_ERR_BODY_TOO_LARGE: { status: 413, message: 'request body too large (BODY_LIMIT)' },
  PACPROXY_ERR_NOT_JSON: { status: 415, message: 'unsupported media type: a pack request is a JSON body' },
  PACPROXY_ERR_UNSUPPORTED_ENCODING: {
    status: 415,
    message: 'unsupported charset or content encoding: send uncompressed UTF-8 JSON',
  },
  PACPROXY_ERR_NOT_PACK_REQUEST: {
    status: 422,
    message: 'not a pack request: a JSON object with an itemSets array',
  },
  PACPROXY_ERR_NOT_FOUND: { status: 404, message: 'no such route' },
  PACPROXY_ERR_BAD_KEYSTEM: {
    status: 400,
    message: 'a keystem is 1 to 64 characters of A-Z, a-z, 0-9, _ and -',
  },
  PACPROXY_ERR_NOT_A_KEYSTEM: {
    status: 400,
    message: '"all" names every keystem, not one: it cannot be deleted',
  },
  PACPROXY_ERR_BAD_PAGE: {
    status: 400,
    message: 'limit is 1 to 1000; after is the `next` of the previous page',
  },
  PACPROXY_ERR_BAD_HISTORY_QUERY: {
    status: 400,
    message: 'a history query needs ISO 8601 instants (from before to), a known interval and format',
  },
  PACPROXY_ERR_BAD_ZONE: {
    status: 400,
    message: 'tz is not an IANA zone, or its offset in the range is not a whole number of hours',
  },
  PACPROXY_ERR_TOO_MANY_POINTS: {
    status: 400,
    message: 'the range has more than 5,000 points at this interval: use a coarser interval',
  },
  PACPROXY_ERR_UNKNOWN_KEYSTEM: { status: 404, message: 'no data for this keystem' },
  // refused by Express' router or its static file server (/docs and /dashboard assets)
  PACPROXY_ERR_BAD_URL_ENCODING: {
    status: 400,
    message: 'malformed URL: a path segment is not valid percent-encoded UTF-8',
  },
  PACPROXY_ERR_PRECONDITION_FAILED: {
    status: 412,
    message: 'a precondition of the request (If-Match, If-Unmodified-Since) does not hold',
  },
  PACPROXY_ERR_RANGE_NOT_SATISFIABLE: {
    status: 416,
    message: 'the requested byte range is not within the file',
  },
  PACPROXY_ERR_CLIENT_ERROR: {
    status: null,
    message: 'refused by Express or its file server for another reason (answered with their 4xx status)',
  },
  // refused by Node's HTTP parser or its deadlines, before any route (answered, then closed)
  PACPROXY_ERR_BAD_HTTP_REQUEST: { status: 400, message: 'malformed HTTP request: it cannot be parsed' },
  PACPROXY_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    message: "request headers too large: together over Node's limit (16 KB unless set otherwise)",
  },
  PACPROXY_ERR_REQUEST_TIMEOUT: {
    status: 408,
    message: 'the headers did not arrive within HEADERS_TIMEOUT_MS, or the request within REQUEST_TIMEOUT_MS',
  },
  PACPROXY_ERR_CHUNK_EXT_TOO_LARGE: {
    status: 413,
    message: 'chunk extensions of the request body too large',
  },
  // access
  PACPROXY_ERR_ADMIN_DISABLED: {
    status: 403,
    message: 'admin routes are disabled: set ADMIN_TOKEN to enable them',
  },
  PACPROXY_ERR_ADMIN_UNAUTHENTICATED: { status: 401, message: 'admin token required' },
  PACPROXY_ERR_ADMIN_FORBIDDEN: { status: 403, message: 'admin token is not valid' },
  PACPROXY_ERR_READ_UNAUTHENTICATED: {
    status: 401,
    message:
      'statistics need a read token, the admin token or an API key of this keystem (READ_ACCESS=token)',
  },
  PACPROXY_ERR_READ_FORBIDDEN: { status: 403, message: 'these credentials may not read these statistics' },
  // the upstream
  PACPROXY_ERR_UPSTREAM_ERROR: {
    status: null,
    message: "Paccurate answered an error status (passed on, with Paccurate's reason)",
  },
  PACPROXY_ERR_UPSTREAM_UNREACHABLE: { status: 502, message: 'Paccurate is unreachable' },
  PACPROXY_ERR_UPSTREAM_BAD_ANSWER: {
    status: 502,
    message: 'Paccurate answered something that is not a usable JSON answer',
  },
  PACPROXY_ERR_UPSTREAM_TOO_LARGE: {
    status: 502,
    message: "Paccurate's answer is larger than UPSTREAM_ANSWER_LIMIT",
  },
  PACPROXY_ERR_UPSTREAM_TIMEOUT: {
    status: 504,
    message: 'Paccurate did not answer within PACCURATE_TIMEOUT_MS',
  },
  // the proxy's own parts
  PACPROXY_ERR_DASHBOARD_NOT_BUILT: { status: 503, message: 'the dashboard is not built: run npm run build' },
  PACPROXY_ERR_STATS_UNAVAILABLE: {
    status: 503,
    message: 'statistics are unavailable, so the request was not counted: retry it',
  },
  PACPROXY_ERR_STORE_UNAVAILABLE: { status: 503, message: 'the statistics store is unavailable, try again' },
  PACPROXY_ERR_QUEUE_UNAVAILABLE: { status: 503, message: 'the statistics queue is unavailable, try again' },
  PACPROXY_ERR_NOT_READY: {
    status: 503,
    message: 'not ready: stats events can go neither to Redis nor to the outbox',
  },
  PACPROXY_ERR_INTERNAL: { status: 500, message: 'internal error' },
  // inside processes (logged, never answered as such)
  PACPROXY_ERR_CONFIG: { status: null, message: 'invalid configuration: the process does not start' },
  PACPROXY_ERR_NO_REDIS: { status: null, message: 'no Redis to use and none could be started' },
  PACPROXY_ERR_OUTBOX_LOCKED: { status: null, message: 'the outbox folder is in use by another process' },
  PACPROXY_ERR_STOP_INCOMPLETE: {
    status: null,
    message: 'a stop step did not finish within its deadline: named on the exit line (exit code 2)',
  },
  PACPROXY_ERR_OUTBOX_DAMAGED: {
    status: null,
    message: 'the outbox could not roll back a failed write: it refuses appends until it can',
  },
  PACPROXY_ERR_STORE_NOT_READY: { status: null, message: 'store used before init() or after close()' },
  PACPROXY_ERR_MONGO_STANDALONE: { status: null, message: 'MongoDB is not a replica set: no transactions' },
  PACPROXY_ERR_INVALID_EVENT: {
    status: null,
    message: 'a stats event does not fit its schema: dead-lettered',
  },
  PACPROXY_ERR_CACHE_ENTRY: {
    status: null,
    message: 'a request cache entry is unreadable: treated as a miss',
  },
  PACPROXY_ERR_TIMEOUT: { status: null, message: 'a probe did not answer in time' },
  PACPROXY_ERR_DEADLINE: {
    status: null,
    message: "Paccurate's deadline passed (answered as an upstream timeout)",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
