import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLoad } from '../../ops/bench/lib/load';

/**
 * The bench's load at a fixed rate must be paced: its latency rows claim "at half capacity", which
 * a burst at full speed (autocannon's rate mode) is not.
 */
describe('bench load at a fixed rate', () => {
  let server: http.Server;
  let url: string;
  const arrivals: Array<{ at: number; authorization?: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      arrivals.push({ at: performance.now(), authorization: req.headers.authorization });
      req.resume();
      req.on('end', () => {
        // every tenth request fails, to be counted apart
        res.writeHead(arrivals.length % 10 === 0 ? 500 : 200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('spreads the requests evenly over the run and reports what failed apart', async () => {
    const startedAt = performance.now();
    const result = await runLoad({
      url,
      body: '{"itemSets":[]}',
      apiKeys: ['key-a', 'key-b'],
      connections: 32,
      seconds: 1,
      overallRate: 200,
    });
    expect(arrivals).toHaveLength(200);
    expect(result.ok + result.failures).toBe(200);
    expect(result.failures).toBe(20);
    // paced: the n-th request arrives no sooner than n/rate after the start, never the whole
    // second's worth at once (a busy machine can only make requests later, never earlier)
    const early = arrivals
      .map(({ at }) => at - startedAt)
      .sort((a, b) => a - b)
      .filter((elapsedMs, n) => elapsedMs < (n * 1000) / 200);
    expect(early).toEqual([]);
    expect(new Set(arrivals.map((a) => a.authorization))).toEqual(new Set(['apikey key-a', 'apikey key-b']));
    expect(result.p99).toBeGreaterThanOrEqual(result.p50);
  });
});
