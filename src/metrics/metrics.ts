import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const METRIC_PREFIX = 'pacproxy_';

/** The roles a process runs: a proxy, a worker, or both (`npm start`). */
export type MetricsRole = 'proxy' | 'worker';

/**
 * Which role moves each metric. A proxy alone or a worker alone exports only its own, so a
 * scrape never shows the other role's metrics as a series stuck at zero.
 */
const ROLE_METRICS = {
  proxy: [
    'packRequests',
    'upstreamLatency',
    'eventsEnqueued',
    'enqueueCalls',
    'eventsOutboxed',
    'enqueueFailures',
    'outboxReplayFailures',
    'outboxDepth',
    'cacheLookups',
    'authFailures',
    'httpRefused',
  ],
  worker: ['batchSize', 'flushDuration', 'flushFailures', 'fetchFailures', 'eventsProcessed', 'shardsOwned'],
} as const satisfies Record<MetricsRole, readonly (keyof Metrics)[]>;

/**
 * Every Prometheus metric Pacproxy exposes, on one registry per process. Components take a
 * `Metrics` in their options and move the ones that concern them. Labels never carry an API
 * key or any other request data beyond the bounded sets named here.
 */
export class Metrics {
  readonly registry = new Registry();

  /** route: "/" | "/pack"; status_class: "2xx".."5xx"; cache: "hit" | "miss" | "off" */
  readonly packRequests = new Counter({
    name: 'pacproxy_pack_requests_total',
    help: 'Pack requests answered, by route, status class and cache result',
    labelNames: ['route', 'status_class', 'cache'] as const,
    registers: [this.registry],
  });

  readonly upstreamLatency = new Histogram({
    name: 'pacproxy_upstream_latency_seconds',
    help: 'Round trip to Paccurate, cache hits excluded',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly eventsEnqueued = new Counter({
    name: 'pacproxy_events_enqueued_total',
    help: 'Stats events added to a Redis shard queue',
    registers: [this.registry],
  });

  /** events per call (group commit, ENQUEUE_GROUP_MS) = rate(events_enqueued) / rate(this) */
  readonly enqueueCalls = new Counter({
    name: 'pacproxy_enqueue_calls_total',
    help: 'Calls the proxy made to Redis to add stats jobs, each carrying the events gathered since the last (group commit; events per call = pacproxy_events_enqueued_total / this)',
    registers: [this.registry],
  });

  readonly eventsOutboxed = new Counter({
    name: 'pacproxy_events_outboxed_total',
    help: 'Stats events written to the local outbox because Redis did not take them in time',
    registers: [this.registry],
  });

  readonly enqueueFailures = new Counter({
    name: 'pacproxy_enqueue_failures_total',
    help: 'Stats events Redis did not take (they went to the outbox), by reason: a Redis topology fault (MOVED, CROSSSLOT, READONLY, CLUSTERDOWN, …) or unavailable',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly outboxReplayFailures = new Counter({
    name: 'pacproxy_outbox_replay_failures_total',
    help: 'Failed attempts to replay the outbox into Redis, by reason: a Redis topology fault or unavailable',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly outboxDepth = new Gauge({
    name: 'pacproxy_outbox_depth',
    help: 'Stats events in the local outbox waiting to be replayed into Redis',
    registers: [this.registry],
  });

  readonly cacheLookups = new Counter({
    name: 'pacproxy_cache_lookups_total',
    help: 'Request cache lookups by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: 'pacproxy_batch_size',
    help: 'Events per flushed batch',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
    registers: [this.registry],
  });

  readonly flushDuration = new Histogram({
    name: 'pacproxy_flush_duration_seconds',
    help: 'Time to apply one batch to the store (one transaction)',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly flushFailures = new Counter({
    name: 'pacproxy_flush_failures_total',
    help: 'Batch flushes to the store (or to the dead-letter queue) that failed and are being retried',
    registers: [this.registry],
  });

  readonly fetchFailures = new Counter({
    name: 'pacproxy_fetch_failures_total',
    help: 'Job fetches from a shard queue that Redis refused (out of memory, say) and are being retried',
    registers: [this.registry],
  });

  /** outcome: "applied" | "duplicate" | "stale" | "dead_letter" */
  readonly eventsProcessed = new Counter({
    name: 'pacproxy_events_processed_total',
    help: 'Stats events handled by shard workers, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly shardsOwned = new Gauge({
    name: 'pacproxy_shards_owned',
    help: 'Shards whose lease this process holds',
    registers: [this.registry],
  });

  /** realm: "admin" | "read" */
  readonly authFailures = new Counter({
    name: 'pacproxy_auth_failures_total',
    help: 'Failed admin or statistics-read authentications (each answered after a growing delay)',
    labelNames: ['realm'] as const,
    registers: [this.registry],
  });

  /** code: the PACPROXY_ERR_ code answered (src/http/server.ts) */
  readonly httpRefused = new Counter({
    name: 'pacproxy_http_refused_total',
    help: "Requests refused before any route ran, by error code: malformed for Node's HTTP parser, headers too large, or too slow (HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS)",
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  /** `roles`: what the process runs; it exports the metrics of those roles only (and Node's own). */
  constructor(roles: readonly MetricsRole[] = ['proxy', 'worker']) {
    const others = (['proxy', 'worker'] as const).filter((role) => !roles.includes(role));
    const dropped = new Set<unknown>(
      others.flatMap((role) => ROLE_METRICS[role].map((field) => this[field])),
    );
    for (const metric of this.registry.getMetricsAsArray())
      if (dropped.has(metric)) this.registry.removeSingleMetric(metric.name);
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    // prom-client also exports these three totals as gauges named `…_total`, a suffix Prometheus
    // reserves for counters (`promtool check metrics` rejects them). Each is the sum of the
    // same-named gauge without the suffix, which stays: sum(pacproxy_nodejs_active_handles).
    for (const kind of ['handles', 'requests', 'resources'])
      this.registry.removeSingleMetric(`${METRIC_PREFIX}nodejs_active_${kind}_total`);
  }
}
