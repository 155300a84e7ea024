import { readFileSync } from 'node:fs';
import path from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { testConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { Metrics } from '../../src/metrics/metrics';
import { MemorySink } from '../../src/queue/sink';

/**
 * README's metric list ("Monitoring": `Metrics (all pacproxy_…): …`) names every metric the
 * proxy and the worker register, and nothing else; the Node process defaults are named as such.
 */

const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
const PREFIX = 'pacproxy_';

/**
 * The names in the list: each `name` or `name{labels}` of its paragraph, prefixed (a metric name
 * has words joined by `_`; a lone word in backticks there is a label's value, `unavailable`).
 */
function listed(): Set<string> {
  const start = readme.indexOf('Metrics (all `pacproxy_…`)');
  if (start < 0) throw new Error('README: no "Metrics (all `pacproxy_…`)" list');
  const paragraph = readme.slice(start, readme.indexOf('\n\n', start));
  return new Set(
    [...paragraph.matchAll(/`([a-z][a-z0-9]*_[a-z0-9_]+)(?:\{[^`]*\})?`/g)].map((m) => PREFIX + m[1]),
  );
}

const names = (registry: Registry) => registry.getMetricsAsArray().map((m) => m.name);

/** prom-client's process defaults, as Metrics asks for them. */
function processDefaults(): Set<string> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: PREFIX });
  return new Set(names(registry));
}

/** What a proxy registers: its Metrics, and what its app adds (the queue gauges). */
function proxyMetrics(): string[] {
  const metrics = new Metrics(['proxy']);
  createApp({
    config: testConfig(),
    logger: createLogger('silent'),
    sink: new MemorySink(),
    metrics,
    queues: [],
  });
  return names(metrics.registry);
}

/** What a worker registers (workers/worker-role.ts): its Metrics. */
function workerMetrics(): string[] {
  return names(new Metrics(['worker']).registry);
}

describe("README's metric list", () => {
  const defaults = processDefaults();
  const own = [...new Set([...proxyMetrics(), ...workerMetrics()])].filter((n) => !defaults.has(n)).sort();

  it('names every metric the proxy and the worker register', () => {
    expect(own).toContain('pacproxy_queue_stats_up');
    const list = listed();
    expect(own.filter((name) => !list.has(name))).toEqual([]);
  });

  it('names nothing they do not register', () => {
    expect([...listed()].filter((name) => !own.includes(name))).toEqual([]);
  });
});
