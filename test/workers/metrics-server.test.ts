import { Counter, Registry } from 'prom-client';
import { ERRORS } from '../../src/errors/registry';
import type { Readiness } from '../../workers/store-health';
import { serveMetrics, type MetricsServer } from '../../workers/metrics-server';

/**
 * The worker's own HTTP server (METRICS_PORT): /metrics, /readyz, and its errors, which carry a
 * registry `Code` with the status of that code, as every error of the proxy does.
 */

async function get(server: MetricsServer, path: string, method = 'GET') {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { method });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text };
}

/** An error answer: its status, and a body of exactly Message and a Code answered with that status. */
async function expectError(
  server: MetricsServer,
  path: string,
  status: number,
  code: string,
  method = 'GET',
) {
  const answer = await get(server, path, method);
  expect({ status: answer.status, type: answer.type }).toEqual({ status, type: 'application/json' });
  const body = JSON.parse(answer.text) as { Message: string; Code: keyof typeof ERRORS };
  expect(body).toEqual({ Message: expect.any(String), Code: code });
  expect(ERRORS[body.Code].status).toBe(status);
  return body;
}

describe("the worker's metrics server", () => {
  let state: Readiness = { ready: true };
  let server: MetricsServer;
  const registry = new Registry();
  new Counter({ name: 'pacproxy_test_total', help: 'a test counter', registers: [registry] }).inc();

  beforeAll(async () => {
    server = await serveMetrics({ registry, port: 0, host: '127.0.0.1', readiness: () => state });
  });
  afterAll(() => server.close());

  it('serves GET /metrics from its registry', async () => {
    const answer = await get(server, '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.text).toMatch(/^pacproxy_test_total 1$/m);
  });

  it('answers GET /readyz 200 while ready, 503 with the reason and a code while the store cannot commit', async () => {
    state = { ready: true };
    expect(await get(server, '/readyz')).toMatchObject({ status: 200, text: '{"status":"ready"}' });
    state = { ready: false, reason: 'the store cannot commit (1 shard(s) failing; shard 0: disk full)' };
    const body = await expectError(server, '/readyz', 503, 'PACPROXY_ERR_STORE_UNAVAILABLE');
    expect(body.Message).toBe(`not ready: ${state.reason}`);
    state = { ready: true };
  });

  it('answers 404 with a code for any other path or method', async () => {
    await expectError(server, '/healthz', 404, 'PACPROXY_ERR_NOT_FOUND');
    await expectError(server, '/metrics', 404, 'PACPROXY_ERR_NOT_FOUND', 'POST');
  });

  it('answers 500 with a code when the registry fails to collect', async () => {
    const failing = new Registry();
    new Counter({
      name: 'pacproxy_failing_total',
      help: 'a counter whose collect fails',
      registers: [failing],
      collect() {
        throw new Error('collect failed');
      },
    });
    const broken = await serveMetrics({
      registry: failing,
      port: 0,
      host: '127.0.0.1',
      readiness: () => state,
    });
    try {
      await expectError(broken, '/metrics', 500, 'PACPROXY_ERR_INTERNAL');
    } finally {
      await broken.close();
    }
  });
});
