import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';

/** GET /metrics: the registry in Prometheus' text format (scrape-time gauges collect here). */
export function metricsRoute(registry: Registry): RequestHandler {
  return async (_req, res) => {
    const body = await registry.metrics();
    res.type(registry.contentType).send(body);
  };
}
