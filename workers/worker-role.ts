import type { Config } from '../src/config';
import type { ShutdownStep } from '../src/lifecycle/shutdown';
import type { Logger } from '../src/log/logger';
import type { Metrics } from '../src/metrics/metrics';
import type { RedisTarget } from '../src/queue/redis';
import type { StatsStore } from '../src/store/types';
import { serveMetrics, type MetricsServer } from './metrics-server';
import { ShardWorker } from './worker';

export interface WorkerRoleOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** the Redis: a URL (one node) or any shape of src/queue/redis.ts */
  redis: RedisTarget | string;
  store: StatsStore;
  /** the worker alone serves /metrics and /readyz on METRICS_PORT; beside the proxy, the proxy does */
  serveMetrics: boolean;
}

export interface WorkerRole {
  worker: ShardWorker;
  /** the metrics port, when served */
  metricsPort: number | null;
  /** its metrics server, then the worker's stop (flush, release, close); not the store: the caller's */
  shutdownSteps(timeoutMs: number): ShutdownStep[];
}

/** The worker role's composition root: shard worker and, when alone, its metrics server. */
export async function startWorker(options: WorkerRoleOptions): Promise<WorkerRole> {
  const { config, logger, metrics, redis, store } = options;
  const worker = new ShardWorker({ config, redis, store, logger, metrics });
  let server: MetricsServer | null = null;
  if (options.serveMetrics) {
    server = await serveMetrics({
      registry: metrics.registry,
      port: config.METRICS_PORT,
      host: config.HOST,
      readiness: () => worker.readiness(),
    });
    logger.info({ port: server.port }, 'worker metrics listening');
  }
  worker.start();
  return {
    worker,
    metricsPort: server?.port ?? null,
    shutdownSteps: (timeoutMs) => [
      ...(server ? [{ name: 'metrics server', timeoutMs: timeoutMs / 10, run: () => server.close() }] : []),
      ...worker.shutdownSteps(timeoutMs),
    ],
  };
}
