import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ERRORS, type ErrorCode } from '../src/errors/registry';
import { errorFields } from '../src/http/errors';
import type { Readiness } from './store-health';

export interface MetricsServer {
  port: number;
  /** stops taking connections, closes idle keep-alive ones, waits for the scrapes in flight */
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  registry: Registry;
  port: number;
  host: string;
  readiness: () => Readiness;
}

/**
 * The worker process's only HTTP endpoint: GET /metrics from a registry, and GET /readyz —
 * 200, or 503 with the reason while its store cannot commit. Errors are `{Message, Code}`, as
 * the proxy's are (README "Errors").
 */
export function serveMetrics(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry, readiness } = options;
  const json = (res: http.ServerResponse, status: number, body: object) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const fail = (res: http.ServerResponse, code: ErrorCode, message: string = ERRORS[code].message) =>
    json(res, ERRORS[code].status ?? 500, errorFields({ code, message }));
  const server = http.createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method === 'GET' && path === '/readyz') {
      const state = readiness();
      if (state.ready) json(res, 200, { status: 'ready' });
      else fail(res, 'PACPROXY_ERR_STORE_UNAVAILABLE', `not ready: ${state.reason}`);
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      fail(res, 'PACPROXY_ERR_NOT_FOUND');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      () => fail(res, 'PACPROXY_ERR_INTERNAL', 'internal error: the metrics could not be collected'),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}
