import autocannon from 'autocannon';

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

/** One autocannon run of POST requests; progress output off, figures returned. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const headers = { 'content-type': 'application/json', ...options.headers };
  const keys = options.apiKeys ?? [];
  let next = 0;
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    body: options.body,
    headers,
    connections: options.connections,
    duration: options.seconds,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    ...(keys.length > 0
      ? {
          requests: [
            {
              setupRequest: (req: autocannon.Request) => ({
                ...req,
                headers: { ...headers, authorization: `apikey ${keys[next++ % keys.length]}` },
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
