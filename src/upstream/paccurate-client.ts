import { Pool } from 'undici';
import {
  UpstreamBadAnswerError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
  type FailedExchange,
  type UpstreamError,
} from './errors';
import type { PackRequest, Upstream, UpstreamAnswer } from './types';

export interface PaccurateClientOptions {
  /** PACCURATE_URL, e.g. https://api.paccurate.io/ */
  url: string;
  /** PACCURATE_TIMEOUT_MS: the deadline for the whole answer, headers and body */
  timeoutMs: number;
  /** most sockets open to Paccurate at once (default 256) */
  connections?: number;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Forwards pack requests to Paccurate over a dedicated keep-alive pool (undici; no global
 * fetch, whose per-call overhead shows on the hot path). The body goes out byte for byte with
 * the client's Authorization; latency is measured with the monotonic clock, in nanoseconds.
 */
export class PaccurateClient implements Upstream {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly timeoutMs: number;

  constructor(options: PaccurateClientOptions) {
    const url = new URL(options.url);
    this.path = `${url.pathname}${url.search}`;
    this.timeoutMs = options.timeoutMs;
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
    const elapsed = () => Number(process.hrtime.bigint() - started);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (request.authorization !== undefined) headers.authorization = request.authorization;

    // One deadline for headers and body together (undici's own timeouts are per phase).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    let status: number;
    let contentType: string;
    let body: Buffer;
    try {
      const res = await this.pool.request({
        path: this.path,
        method: 'POST',
        headers,
        body: request.raw,
        signal: deadline.signal,
      });
      status = res.statusCode;
      contentType = headerText(res.headers['content-type']) ?? 'application/json';
      body = Buffer.from(await res.body.arrayBuffer());
    } catch (err) {
      throw this.failure(err, deadline.signal.aborted, { status: 0, latencyNs: elapsed(), timeStamp });
    } finally {
      clearTimeout(timer);
    }
    const latencyNs = elapsed();
    return {
      status,
      contentType,
      body,
      json: parseAnswer(status, contentType, body, { status, latencyNs, timeStamp }),
      latencyNs,
      timeStamp,
      cacheHit: false,
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private failure(err: unknown, timedOut: boolean, exchange: FailedExchange): UpstreamError {
    const code = (err as { code?: unknown }).code;
    if (timedOut || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
      return new UpstreamTimeoutError(`Paccurate did not answer within ${this.timeoutMs} ms`, exchange);
    }
    const why = typeof code === 'string' ? code : (err as Error).message;
    return new UpstreamUnreachableError(`Paccurate is unreachable (${why})`, exchange);
  }
}

/**
 * The answer's JSON. A usable answer is a 2xx JSON object; an error status passes whatever its
 * body is (undefined when not JSON); anything else is an UpstreamBadAnswerError.
 */
function parseAnswer(status: number, contentType: string, body: Buffer, exchange: FailedExchange): unknown {
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
