import { Metrics } from '../../src/metrics/metrics';

/**
 * A process exports the metrics of the roles it runs: a proxy alone (`npm run start:proxy`) no
 * worker metric, a worker no proxy metric, `npm start` both. A metric of the other role would
 * be a series stuck at zero on every scrape of that target.
 */
async function exported(metrics: Metrics): Promise<string[]> {
  return (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
}

const PROXY_METRIC = 'pacproxy_pack_requests_total';
const WORKER_METRIC = 'pacproxy_shards_owned';

describe('the metrics a process exports, by the roles it runs', () => {
  it('a proxy alone: its own, no worker metric', async () => {
    const names = await exported(new Metrics(['proxy']));
    expect(names).toContain(PROXY_METRIC);
    expect(names).toContain('pacproxy_http_refused_total');
    expect(names).not.toContain(WORKER_METRIC);
    expect(names).not.toContain('pacproxy_batch_size');
  });

  it('a worker alone: its own, no proxy metric', async () => {
    const names = await exported(new Metrics(['worker']));
    expect(names).toContain(WORKER_METRIC);
    expect(names).not.toContain(PROXY_METRIC);
    expect(names).not.toContain('pacproxy_outbox_depth');
  });

  it("both roles (npm start): every metric, Node's own included in each case", async () => {
    const both = await exported(new Metrics(['proxy', 'worker']));
    expect(both).toEqual(expect.arrayContaining([PROXY_METRIC, WORKER_METRIC]));
    const proxy = await exported(new Metrics(['proxy']));
    const worker = await exported(new Metrics(['worker']));
    expect(new Set(both)).toEqual(new Set([...proxy, ...worker]));
    expect(worker).toContain('pacproxy_process_cpu_seconds_total');
  });

  it('a metric of the other role can still be moved (it is not exported)', async () => {
    const metrics = new Metrics(['worker']);
    metrics.packRequests.labels({ route: '/', status_class: '2xx', cache: 'off' }).inc();
    expect(await metrics.registry.metrics()).not.toContain(PROXY_METRIC);
  });
});
