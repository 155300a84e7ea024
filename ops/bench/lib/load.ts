import autocannon from 'autocannon';
import { Pool } from 'undici';

export interface LoadOptions {
  url: string;
  body: string;
  headers?: Record<string, string>;
  /** API keys sent in turn (`Authorization: apikey …`, one per request); unset: `headers` alone */
  apiKeys?: readonly string[];
  connections: number;
  seconds: number;
  /** a fixed total request rate (req/s across all connections); unset: as fast as answers come */
  overallRate?: number;
}

export interface LoadResult {
  /** 2xx answers per second over the run */
  rps: number;
  /** latency percentiles, milliseconds */
  p50: number;
  p99: number;
  /** 2xx answers in the run */
  ok: number;
  /** non-2xx answers plus connection errors and timeouts: a fast failure is not throughput */
  failures: number;
}

/**
 * One run of POST requests, figures returned: as fast as answers come (autocannon, `connections`
 * in a closed loop), or at `overallRate` evenly paced (pacedLoad).
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return options.overallRate ? pacedLoad(options, options.overallRate) : closedLoop(options);
}

/** Each request's Authorization, the API keys in turn (none without keys). */
function keyRotation(keys: readonly string[] = []): () => string | undefined {
  let next = 0;
  return () => (keys.length > 0 ? `apikey ${keys[next++ % keys.length]}` : undefined);
}

async function closedLoop(options: LoadOptions): Promise<LoadResult> {
  const headers = { 'content-type': 'application/json', ...options.headers };
  const authorization = keyRotation(options.apiKeys);
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    body: options.body,
    headers,
    connections: options.connections,
    duration: options.seconds,
    ...(options.apiKeys?.length
      ? {
          requests: [
            {
              setupRequest: (req: autocannon.Request) => ({
                ...req,
                headers: { ...headers, authorization: authorization() },
              }),
            },
          ],
        }
      : {}),
  });
  return {
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** How often the paced load looks for requests that have come due. */
const TICK_MS = 1;

/**
 * Open-loop load: a request is due every 1/rate s, sent over up to `connections` keep-alive
 * connections (undici queues what finds them all busy). Latency runs from when a request was
 * due to the end of its answer, so falling behind counts. Not autocannon's rate mode: it sends
 * each connection's quota for a second back to back at the start of the second, then idles, and
 * "corrects" its histogram with a 1 ms expected interval, so its percentiles at "half capacity"
 * measure a burst at full speed.
 */
async function pacedLoad(options: LoadOptions, rate: number): Promise<LoadResult> {
  const url = new URL(options.url);
  const pool = new Pool(url.origin, { connections: options.connections });
  const path = `${url.pathname}${url.search}`;
  const authorization = keyRotation(options.apiKeys);
  const latencies: number[] = [];
  let failures = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (dueAt: number) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    const auth = authorization();
    if (auth !== undefined) headers.authorization = auth;
    const call = pool
      .request({ path, method: 'POST', headers, body: options.body })
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - dueAt);
        else failures++;
      })
      .catch(() => {
        failures++;
      })
      .finally(() => inFlight.delete(call));
    inFlight.add(call);
  };
  const startedAt = performance.now();
  const total = Math.round(rate * options.seconds);
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - startedAt) * rate) / 1000));
      for (; sent < due; sent++) send(startedAt + (sent * 1000) / rate);
      if (sent < total) setTimeout(tick, TICK_MS);
      else resolve();
    };
    tick();
  });
  await Promise.all(inFlight);
  const seconds = (performance.now() - startedAt) / 1000;
  await pool.close();
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) =>
    sorted.length > 0 ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
  return { rps: sorted.length / seconds, p50: at(0.5), p99: at(0.99), ok: sorted.length, failures };
}
