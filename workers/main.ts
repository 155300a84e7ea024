import { loadConfig } from '../src/config';
import { createLogger } from '../src/log/logger';
import { Metrics } from '../src/metrics/metrics';
import { boundHeapGrowth } from '../src/runtime/heap';
import { serveMetrics } from '../src/runtime/metrics-server';
import { onShutdownSignal } from '../src/runtime/shutdown';
import { describeRedis, redisTarget } from '../src/queue/redis';
import { createStore } from '../src/store';
import { ShardWorker } from './worker';

/**
 * The worker process (`npm run start:worker`): shard consumers writing to the store, leases in
 * the Redis of REDIS_URL (default 127.0.0.1:6379)
 * (or the Cluster / Sentinel of REDIS_CLUSTER_NODES / REDIS_SENTINELS), /metrics on METRICS_PORT.
 * SIGTERM/SIGINT: stop taking shards, flush and complete open batches, release, exit 0.
 */
async function main(): Promise<void> {
  boundHeapGrowth();
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const metrics = new Metrics();
  const store = createStore(config, logger);
  await store.init();
  const redis = redisTarget(config);
  logger.info({ redis: describeRedis(redis) }, 'Redis');
  const worker = new ShardWorker({
    config,
    redis,
    store,
    logger,
    metrics,
  });
  const metricsServer = await serveMetrics(metrics.registry, config.METRICS_PORT, config.HOST);
  logger.info({ port: metricsServer.port }, 'worker metrics listening');
  worker.start();
  onShutdownSignal(logger, async () => {
    await worker.close();
    await store.close();
    await metricsServer.close();
  });
}

main().catch((err: unknown) => {
  console.error(`pacproxy worker: failed to start: ${(err as Error).message}`);
  process.exit(1);
});
