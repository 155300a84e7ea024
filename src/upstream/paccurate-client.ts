import type { IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import {
  UpstreamBadAnswerError,
  UpstreamTimeoutError,
  UpstreamTooLargeError,
  UpstreamUnreachableError,
  type FailedExchange,
  type UpstreamError,
} from './errors';
import { nestsDeeperThan } from '../util/json-depth';
import type { PackRequest, Upstream, UpstreamAnswer } from './types';
import type { ErrorCode } from '../errors/registry';

export interface PaccurateClientOptions {
  /** PACCURATE_URL, e.g. https://api.paccurate.io/ */
  url: string;
  /** PACCURATE_TIMEOUT_MS: the deadline for the whole answer, headers and body */
  timeoutMs: number;
  /** most sockets open to Paccurate at once (default 256) */
  connections?: number;
  /** UPSTREAM_ANSWER_LIMIT in bytes: a larger answer is cut off and answered 502 (default 20 MB) */
  maxAnswerBytes?: number;
  /** JSON_MAX_DEPTH: an answer nested deeper is not read (default 64) */
  maxJsonDepth?: number;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Forwards pack requests to Paccurate over a dedicated keep-alive pool (undici's dispatch API;
 * no global fetch, whose per-call overhead shows on the hot path). The body goes out byte for byte with
 * the client's Authorization; latency is measured with the monotonic clock, in nanoseconds.
 */
export class PaccurateClient implements Upstream {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly timeoutMs: number;
  private readonly maxAnswerBytes: number;
  private readonly maxJsonDepth: number;

  constructor(options: PaccurateClientOptions) {
    const url = new URL(options.url);
    this.path = `${url.pathname}${url.search}`;
    this.timeoutMs = options.timeoutMs;
    this.maxAnswerBytes = options.maxAnswerBytes ?? 20 * 1024 * 1024;
    this.maxJsonDepth = options.maxJsonDepth ?? 64;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 256,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { timeout: Math.min(options.timeoutMs, 10_000) },
    });
  }

  async pack(request: PackRequest): Promise<UpstreamAnswer> {
    const timeStamp = new Date().toISOString();
    const started = process.hrtime.bigint();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (request.authorization !== undefined) headers.authorization = request.authorization;
    let answer: CollectedAnswer;
    try {
      answer = await new Promise<CollectedAnswer>((resolve, reject) => {
        const call = new AnswerCall(resolve, reject, this.timeoutMs, this.maxAnswerBytes);
        this.pool.dispatch({ path: this.path, method: 'POST', headers, body: request.raw }, call);
      });
    } catch (err) {
      const latencyNs = Number(process.hrtime.bigint() - started);
      throw this.failure(err, { status: 0, latencyNs, timeStamp });
    }
    const latencyNs = Number(process.hrtime.bigint() - started);
    const { status, body } = answer;
    const contentType = answer.contentType ?? 'application/json';
    return {
      status,
      contentType,
      body,
      json: parseAnswer({ status, contentType, body }, this.maxJsonDepth, { status, latencyNs, timeStamp }),
      latencyNs,
      timeStamp,
      cache: 'off',
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /**
   * Ends every call in flight as a timeout (the proxy is stopping and cannot wait for them); their
   * requests are answered 504 and counted like any other timeout. The client is closed after.
   */
  abort(): Promise<void> {
    return this.pool.destroy(new DeadlineError('the proxy is stopping'));
  }

  private failure(err: unknown, exchange: FailedExchange): UpstreamError {
    const code = (err as { code?: unknown }).code;
    if (err instanceof AnswerTooLargeError) {
      return new UpstreamTooLargeError(
        `Paccurate's answer is larger than ${this.maxAnswerBytes} bytes (UPSTREAM_ANSWER_LIMIT)`,
        { ...exchange, status: err.status },
      );
    }
    if (err instanceof DeadlineError || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
      return new UpstreamTimeoutError(`Paccurate did not answer within ${this.timeoutMs} ms`, exchange);
    }
    const why = typeof code === 'string' ? code : (err as Error).message;
    return new UpstreamUnreachableError(`Paccurate is unreachable (${why})`, exchange);
  }
}

/**
 * The answer's JSON. A usable answer is a 2xx JSON object; an error status passes whatever its
 * body is (undefined when not JSON, or nested deeper than `maxDepth`); anything else is an
 * UpstreamBadAnswerError.
 */
function parseAnswer(
  { status, contentType, body }: { status: number; contentType: string; body: Buffer },
  maxDepth: number,
  exchange: FailedExchange,
): unknown {
  if (nestsDeeperThan(body, maxDepth)) {
    if (status >= 400) return undefined;
    throw new UpstreamBadAnswerError(
      `Paccurate answered ${status} with JSON nested deeper than ${maxDepth}`,
      exchange,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    json = undefined;
  }
  if (status >= 400) return json;
  if (status >= 200 && status < 300 && json !== null && typeof json === 'object' && !Array.isArray(json)) {
    return json;
  }
  const what = json === undefined ? `${contentType} that is not JSON` : 'JSON that is not a pack answer';
  throw new UpstreamBadAnswerError(`Paccurate answered ${status} with ${what}`, exchange);
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

interface CollectedAnswer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

/** The answer grew past its limit (mapped to UpstreamTooLargeError). */
class AnswerTooLargeError extends Error {
  constructor(readonly status: number) {
    super('answer too large');
  }
}

/** The deadline passed before the whole answer came (mapped to UpstreamTimeoutError). */
class DeadlineError extends Error {
  readonly code = 'PACPROXY_ERR_DEADLINE' satisfies ErrorCode;
}

/**
 * One request through undici's dispatch API: collects the answer's status, content type and
 * bytes, under one deadline for the whole exchange (waiting for a connection, headers, body).
 * Cheaper per request than `pool.request` with an AbortController, whose signal plumbing and
 * body stream showed in the profile.
 */
class AnswerCall implements Dispatcher.DispatchHandler {
  private status = 0;
  private contentType: string | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private controller: Dispatcher.DispatchController | null = null;
  private readonly timer: NodeJS.Timeout;
  private settled = false;

  constructor(
    private readonly resolve: (answer: CollectedAnswer) => void,
    private readonly reject: (err: Error) => void,
    timeoutMs: number,
    private readonly maxBytes: number,
  ) {
    this.timer = setTimeout(expire, timeoutMs, this);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // the deadline passed while the request waited for a connection
    if (this.settled) controller.abort(new DeadlineError('deadline passed'));
  }

  onResponseStart(_controller: unknown, statusCode: number, headers: IncomingHttpHeaders): void {
    this.status = statusCode;
    this.contentType = headerText(headers['content-type']);
    this.chunks = [];
    this.size = 0;
    if (Number(headerText(headers['content-length'])) > this.maxBytes) this.tooLarge();
  }

  onResponseData(_controller: unknown, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) this.tooLarge();
    else this.chunks.push(chunk);
  }

  /** Past the limit: fail now, drop what came, and cut the exchange (streamed, never buffered whole). */
  private tooLarge(): void {
    const err = new AnswerTooLargeError(this.status);
    this.chunks = [];
    this.settle(err);
    this.controller?.abort(err);
  }

  onResponseEnd(): void {
    const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.settle(null, { status: this.status, contentType: this.contentType, body });
  }

  onResponseError(_controller: unknown, err: Error): void {
    this.settle(err);
  }

  /** The deadline: fail now, and stop the exchange if it has started. */
  expire(): void {
    const err = new DeadlineError('deadline passed');
    this.settle(err);
    this.controller?.abort(err);
  }

  private settle(err: Error | null, answer?: CollectedAnswer): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    if (err) this.reject(err);
    else this.resolve(answer as CollectedAnswer);
  }
}

function expire(call: AnswerCall): void {
  call.expire();
}
