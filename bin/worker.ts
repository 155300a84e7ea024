import { loadConfig } from '../src/config';
import { deploymentConfig } from '../src/config/shard-count';
import { holdsShardQueues } from '../src/queue/queues';
import { boundHeapGrowth } from '../src/lifecycle/heap';
import type { ShutdownStep } from '../src/lifecycle/shutdown';
import { exitOnStartFailure, stopOnSignal } from '../src/lifecycle/signals';
import { createLogger } from '../src/log/logger';
import { Metrics } from '../src/metrics/metrics';
import { describeRedis, redisTarget } from '../src/queue/redis';
import { createStore } from '../src/store';
import { startWorker } from '../workers/worker-role';

/**
 * The worker process (`npm run start:worker`): shard consumers writing to the store, leases in
 * the Redis of REDIS_URL (default 127.0.0.1:6379) or of REDIS_CLUSTER_NODES / REDIS_SENTINELS,
 * /metrics and /readyz on METRICS_PORT.
 * SIGTERM/SIGINT: the stop of README "Stopping", within SHUTDOWN_TIMEOUT_MS.
 */
async function main(): Promise<void> {
  boundHeapGrowth();
  const loaded = loadConfig();
  const logger = createLogger(loaded.LOG_LEVEL);
  const timeoutMs = loaded.SHUTDOWN_TIMEOUT_MS;
  // installed first: a signal during the start stops what already runs
  const steps: ShutdownStep[] = [];
  stopOnSignal({ name: 'pacproxy worker', logger, timeoutMs, steps: () => steps });
  const metrics = new Metrics(['worker']);
  const store = createStore(loaded, logger, 'event-loop');
  steps.push({ name: 'store', run: () => store.close() });
  await store.init();
  const redis = redisTarget(loaded);
  const config = await deploymentConfig(loaded, store, (range) => holdsShardQueues(redis, range, logger));
  logger.info({ redis: describeRedis(redis) }, 'Redis');
  logger.info({ shards: config.SHARDS }, 'deployment');
  const worker = await startWorker({ config, logger, metrics, redis, store, serveMetrics: true });
  steps.unshift(...worker.shutdownSteps(timeoutMs));
}

main().catch(exitOnStartFailure('pacproxy worker'));
