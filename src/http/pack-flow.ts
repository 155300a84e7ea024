import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/metrics';
import type { StatsSink } from '../queue/sink';
import { newEventId } from '../stats/event-id';
import { errorReasonOf, usedKeyStemOf, type BoxTypeLimits } from '../stats/paccurate';
import { failedStats, packedStats } from '../stats/request-stats';
import { statsProblems } from '../stats/schema';
import type { PackStats } from '../stats/types';
import { apiKeyOf } from '../upstream/api-key';
import { UpstreamError } from '../upstream/errors';
import type { KeystemMemory } from '../upstream/keystem-memory';
import type { CacheResult, PackRequest, Upstream, UpstreamAnswer } from '../upstream/types';
import { ERRORS, type ErrorCode } from '../errors/registry';
import type { PackErrorBody, PackProxyErrorBody, StatsHeader } from './answers';
import type { InFlightCount } from '../util/in-flight';
import { errorFields, HttpError } from './errors';
import { readPackBody, type PackRequestLimits } from './read-pack-request';

export type PackRoute = '/' | '/pack';

/** What went wrong with a pack request: a code of the registry (src/errors/registry.ts) and why. */
export interface PackError {
  code: string;
  message: string;
}

/** The header of `POST /pack` that carries the request's stats as JSON. */
export const STATS_HEADER = 'X-Pacproxy-Stats';

export interface PackFlowOptions {
  logger: Logger;
  sink: StatsSink;
  upstream: Upstream;
  keystems: KeystemMemory;
  /** BODY_LIMIT and JSON_MAX_DEPTH */
  requestLimits: PackRequestLimits;
  /** BOX_TYPES_MAX and REFID_MAX_LENGTH */
  boxTypeLimits: BoxTypeLimits;
  /** pack request counters and Paccurate's latency; absent in tests that do not read them */
  metrics?: Metrics;
  /** headers every pack answer carries (helmet's, captured once: see security-headers.ts) */
  headers?: Readonly<Record<string, string>>;
  /** counts each request from its start to its answer (the sink's group commit reads it) */
  requestsInFlight?: InFlightCount;
}

/**
 * How one pack request ended, before it is recorded and answered. `answer` is Paccurate's (any
 * status) when one came; `error` says what went wrong when something did; `status` is what
 * the client gets.
 */
export interface PackOutcome {
  stats: PackStats;
  status: number;
  error?: PackError;
  answer?: UpstreamAnswer;
  /** how the request cache treated the request ('off' when it never reached the upstream) */
  cache: CacheResult;
}

/**
 * `POST /` and `POST /pack`: read the request, get Paccurate's answer, record a stats event,
 * then answer. Every request that reaches here is recorded, refused ones included; the client
 * gets its answer only once the sink has accepted the event (else 503: not counted).
 */
export class PackFlow {
  /** the request counter's children by label values, so counting skips prom-client's label hashing */
  private readonly counters = new Map<string, { inc(): void }>();
  private readonly headers: Readonly<Record<string, string>>;
  /**
   * The line per request, without the logger's redaction pass (its wildcard paths cost a few µs
   * and ~1 KB of garbage a line): that line is built below from fixed fields that hold no key.
   */
  private readonly requestLog: Logger;

  constructor(private readonly options: PackFlowOptions) {
    this.headers = options.headers ?? {};
    this.requestLog = options.logger.child({}, { redact: [] });
  }

  /**
   * Serves one pack request on plain node:http objects (no Express extras are used, so the
   * server can call it directly). Never rejects: an unexpected error is answered with 500.
   */
  async handle(route: PackRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { requestsInFlight } = this.options;
    requestsInFlight?.start();
    try {
      const outcome = await this.outcome(req);
      await this.recordAndRespond(route, outcome, res);
    } catch (err) {
      this.options.logger.error({ err, route }, 'unhandled error');
      if (res.headersSent) res.destroy();
      else this.send(res, 500, JSON_TYPE, errorBody(route, 500, INTERNAL));
    } finally {
      requestsInFlight?.end();
    }
  }

  /** Reads the request and gets the answer; never throws for a refused request or a failed upstream. */
  private async outcome(req: IncomingMessage): Promise<PackOutcome> {
    const authorization = req.headers.authorization;
    let request: PackRequest;
    try {
      const body = await readPackBody(req, this.options.requestLimits);
      request = { ...body, authorization, apiKey: apiKeyOf(authorization, body.json) };
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const exchange = { status: 0, latencyNs: 0, timeStamp: new Date().toISOString() };
      const failure = { requestError: true, status: err.status, error: err };
      return this.noAnswer(apiKeyOf(authorization), exchange, failure, 'off');
    }
    try {
      return await this.fromAnswer(request, await this.getAnswer(request));
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      return this.noAnswer(
        request.apiKey,
        err.exchange,
        { requestError: err.requestError, status: err.httpStatus, error: err },
        err.cache,
      );
    }
  }

  /** The one place an answer is obtained (the request cache goes in front of the upstream here). */
  private getAnswer(request: PackRequest): Promise<UpstreamAnswer> {
    return this.options.upstream.pack(request);
  }

  /** Stats of an answer; its keystem is remembered for the key, or recalled when it has none. */
  private async fromAnswer(request: PackRequest, answer: UpstreamAnswer): Promise<PackOutcome> {
    const { keystems } = this.options;
    const stem = usedKeyStemOf(answer.json);
    if (stem !== undefined) keystems.remember(request.apiKey, stem);
    const exchange = {
      keystem: stem ?? (await keystems.recall(request.apiKey)),
      statusCode: String(answer.status),
      latency: answer.latencyNs,
      timeStamp: answer.timeStamp,
      cacheHit: answer.cache === 'hit',
    };
    const { cache } = answer;
    if (answer.status < 400) {
      const stats = packedStats(answer.json, exchange, this.options.boxTypeLimits);
      const problems = statsProblems(stats);
      if (problems === null) return { stats, answer, status: answer.status, cache };
      // what the worker would dead-letter is refused here, while the client can still be told
      return {
        stats: failedStats(exchange, { requestError: false, errorResponse: true }),
        cache,
        status: 502,
        error: {
          code: 'PACPROXY_ERR_UPSTREAM_BAD_ANSWER' satisfies ErrorCode,
          message: `Paccurate answered ${answer.status} with values out of range (${problems})`,
        },
      };
    }
    const reason = errorReasonOf(answer.json);
    return {
      stats: failedStats(exchange, { requestError: false, errorResponse: true }),
      answer,
      cache,
      status: answer.status,
      error: {
        code: 'PACPROXY_ERR_UPSTREAM_ERROR' satisfies ErrorCode,
        message: `Paccurate answered ${answer.status}${reason ? `: ${reason}` : ''}`,
      },
    };
  }

  private async noAnswer(
    apiKey: string | undefined,
    exchange: { status: number; latencyNs: number; timeStamp: string },
    failure: { requestError: boolean; status: number; error: PackError },
    cache: CacheResult,
  ): Promise<PackOutcome> {
    const stats = failedStats(
      {
        keystem: await this.options.keystems.recall(apiKey),
        statusCode: String(exchange.status),
        latency: exchange.latencyNs,
        timeStamp: exchange.timeStamp,
        cacheHit: false,
      },
      { requestError: failure.requestError, errorResponse: !failure.requestError },
    );
    const { code, message } = failure.error;
    return { stats, status: failure.status, error: { code, message }, cache };
  }

  /**
   * Records the event, then answers: `POST /` with the stats (and `Message` when something went
   * wrong), `POST /pack` with Paccurate's own status and bytes (or `{Message}`) and the stats in
   * a header. One log line per request, without headers or keys.
   */
  private async recordAndRespond(route: PackRoute, outcome: PackOutcome, res: ServerResponse): Promise<void> {
    const { stats } = outcome;
    const at = Date.now();
    const event = { kind: 'pack' as const, eventId: newEventId(at), keystem: stats.usedKeystem, at, stats };
    try {
      // a 503 tells the client its request had no effect and may be sent again: Paccurate's own
      // 503, passed on, is therefore not counted either (the retry that gets through is)
      if (outcome.status !== 503) await this.options.sink.record(event);
    } catch (err) {
      this.options.logger.error(
        { route, keystem: stats.usedKeystem, err },
        'stats event not accepted: answering 503',
      );
      this.send(res, 503, JSON_TYPE, errorBody(route, 503, UNAVAILABLE));
      this.requestLog.warn(
        { route, status: 503, code: UNAVAILABLE.code, keystem: stats.usedKeystem },
        'pack request',
      );
      this.count(route, outcome, 503);
      return;
    }

    const { answer, status, error } = outcome;
    if (route === '/pack') {
      const statsHeader = statsHeaderOf(stats);
      if (answer) this.send(res, status, answer.contentType, answer.body, statsHeader);
      else this.send(res, status, JSON_TYPE, errorBody(route, status, error ?? INTERNAL), statsHeader);
    } else if (error === undefined) {
      this.send(res, 200, JSON_TYPE, JSON.stringify(stats));
    } else {
      this.send(
        res,
        status,
        JSON_TYPE,
        JSON.stringify({ ...errorFields(error), ...stats } satisfies PackErrorBody),
      );
    }
    this.count(route, outcome, res.statusCode);
    this.requestLog.info(
      {
        route,
        status: res.statusCode,
        code: error?.code,
        keystem: stats.usedKeystem,
        upstreamStatus: stats.statusCode,
        latencyMs: stats.latency / 1e6,
        eventId: event.eventId,
      },
      'pack request',
    );
  }

  /** The request in the metrics: one count, and Paccurate's round trip when one was made. */
  private count(route: PackRoute, outcome: PackOutcome, status: number): void {
    const { metrics } = this.options;
    if (!metrics) return;
    const statusClass = `${Math.floor(status / 100)}xx`;
    const labels = `${route} ${statusClass} ${outcome.cache}`;
    let counter = this.counters.get(labels);
    if (!counter) {
      counter = metrics.packRequests.labels({ route, status_class: statusClass, cache: outcome.cache });
      this.counters.set(labels, counter);
    }
    counter.inc();
    // failed round trips count too; cache hits and refused requests never reached Paccurate
    const { cacheHit, latency } = outcome.stats;
    if (!cacheHit && latency > 0) metrics.upstreamLatency.observe(latency / 1e9);
  }

  /**
   * Writes the whole answer at once, rather than through Express' res.json/res.send: this is
   * the hot path, and none of their extras (ETag, freshness, charset juggling) applies here.
   */
  private send(
    res: ServerResponse,
    status: number,
    contentType: string,
    body: string | Buffer,
    statsHeader?: string,
  ): void {
    const headers: Record<string, string | number> = {
      ...this.headers,
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
    };
    if (statsHeader !== undefined) headers[STATS_HEADER] = statsHeader;
    res.writeHead(status, headers);
    res.end(body);
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';
const UNAVAILABLE = {
  code: 'PACPROXY_ERR_STATS_UNAVAILABLE',
  message: ERRORS.PACPROXY_ERR_STATS_UNAVAILABLE.message,
};
const INTERNAL = { code: 'PACPROXY_ERR_INTERNAL', message: ERRORS.PACPROXY_ERR_INTERNAL.message };

/**
 * The body of an error the proxy itself makes: `{Message}` on `POST /`; on `POST /pack` also
 * Paccurate's own error shape (`{code, message}`, schema `Error`), which Paccurate's clients read.
 */
function errorBody(route: PackRoute, status: number, error: PackError): string {
  const fields = errorFields(error);
  return JSON.stringify(
    route === '/pack'
      ? ({ ...fields, code: status, message: error.message } satisfies PackProxyErrorBody)
      : fields,
  );
}

/**
 * The most bytes X-Pacproxy-Stats carries. Node's HTTP clients (fetch included) refuse an answer
 * whose headers pass 16 KB in all, nginx's default buffer holds 4–8 KB; every box type listed
 * (BOX_TYPES_MAX of REFID_MAX_LENGTH, non-ASCII escaped) can reach ~80 KB.
 */
export const STATS_HEADER_MAX_BYTES = 8192;

/**
 * The statistics header: the whole statistics, or past STATS_HEADER_MAX_BYTES the same without
 * the per-box-type maps (what grows), marked `boxTypesOmitted` (`POST /` answers them all).
 */
function statsHeaderOf(stats: PackStats): string {
  const whole = asciiJson(stats);
  if (whole.length <= STATS_HEADER_MAX_BYTES) return whole;
  return asciiJson({ ...stats, boxTypes: {}, boxTypeStats: {}, boxTypesOmitted: true } satisfies StatsHeader);
}

const NOT_HEADER_SAFE = /[\u007f-\uffff]/;

/** JSON that is safe as a header value: non-ASCII characters as \u escapes. */
function asciiJson(value: unknown): string {
  const json = JSON.stringify(value);
  // the common case found by a test, which is cheaper than a replace that replaces nothing
  if (!NOT_HEADER_SAFE.test(json)) return json;
  return json.replace(
    new RegExp(NOT_HEADER_SAFE, 'g'),
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
