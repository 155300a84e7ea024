import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  body: string;
  headers?: Record<string, string>;
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
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    body: options.body,
    headers: { 'content-type': 'application/json', ...options.headers },
    connections: options.connections,
    duration: options.seconds,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
  });
  return {
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
