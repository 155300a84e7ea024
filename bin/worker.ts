import { loadConfig } from '../src/config';
import { boundHeapGrowth } from '../src/lifecycle/heap';
import { exitOnStartFailure, stopOnSignal } from '../src/lifecycle/signals';
import { createLogger } from '../src/log/logger';
import { Metrics } from '../src/metrics/metrics';
import { createStore } from '../src/store';
import { startWorker } from '../workers/worker-role';

/**
 * The worker process (`npm run start:worker`): shard consumers writing to the store, leases in
 * the Redis of REDIS_URL (default 127.0.0.1:6379), /metrics and /readyz on METRICS_PORT.
 * SIGTERM/SIGINT: the stop of README "Stopping", within SHUTDOWN_TIMEOUT_MS.
 */
async function main(): Promise<void> {
  boundHeapGrowth();
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const metrics = new Metrics();
  const store = createStore(config, logger);
  await store.init();
  const redisUrl = config.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const worker = await startWorker({ config, logger, metrics, redisUrl, store, serveMetrics: true });
  const timeoutMs = config.SHUTDOWN_TIMEOUT_MS;
  stopOnSignal({
    name: 'pacproxy worker',
    logger,
    timeoutMs,
    steps: [...worker.shutdownSteps(timeoutMs), { name: 'store', run: () => store.close() }],
  });
}

main().catch(exitOnStartFailure('pacproxy worker'));
