import { loadConfig } from '../src/config';
import { deploymentConfig } from '../src/config/shard-count';
import { holdsShardQueues } from '../src/queue/queues';
import type { ShutdownStep } from '../src/lifecycle/shutdown';
import { exitOnStartFailure, stopOnSignal } from '../src/lifecycle/signals';
import { localRedis } from '../src/local-redis/local-redis';
import { createLogger } from '../src/log/logger';
import { Metrics } from '../src/metrics/metrics';
import { configuredRedis, describeRedis, redisTarget } from '../src/queue/redis';
import { startProxy } from '../src/roles/proxy-role';
import { createStore } from '../src/store';
import { startWorker } from '../workers/worker-role';

/**
 * `npm start` (no argument): proxy and shard workers in one process, SQLite in ./data, Redis
 * from REDIS_URL (or REDIS_CLUSTER_NODES, REDIS_SENTINELS), 127.0.0.1:6379 or a private redis-server (src/local-redis).
 * `npm run start:proxy` (argument `proxy`): the proxy alone, on REDIS_URL (default
 * 127.0.0.1:6379); its workers run elsewhere (`npm run start:worker`, bin/worker.ts).
 * SIGTERM/SIGINT: the stop of README "Stopping", within SHUTDOWN_TIMEOUT_MS.
 */
async function main(): Promise<void> {
  const role = process.argv[2] ?? 'all';
  if (role !== 'all' && role !== 'proxy')
    throw new Error(`unknown role "${role}" (expected: proxy, or none)`);
  const loaded = loadConfig();
  const logger = createLogger(loaded.LOG_LEVEL);
  const timeoutMs = loaded.SHUTDOWN_TIMEOUT_MS;
  // the stop, in order; each part adds its steps once it runs (a signal during the start stops what runs)
  const proxySteps: ShutdownStep[] = [];
  const workerSteps: ShutdownStep[] = [];
  const closing: ShutdownStep[] = [];
  stopOnSignal({
    name: 'pacproxy',
    logger,
    timeoutMs,
    steps: () => [...proxySteps, ...workerSteps, ...closing],
  });
  const metrics = new Metrics(role === 'all' ? ['proxy', 'worker'] : ['proxy']);
  const redis =
    role === 'all'
      ? await localRedis({ target: configuredRedis(loaded), dataDir: './data/redis', logger })
      : { target: redisTarget(loaded), close: async () => undefined };
  logger.info({ redis: describeRedis(redis.target) }, 'Redis');
  closing.push({ name: 'private redis-server', run: () => redis.close() });
  // its event loop serves pack requests: the SQLite store works beside it
  const store = createStore(loaded, logger, 'own-thread');
  closing.unshift({ name: 'store', run: () => store.close() });
  await store.init();
  const config = await deploymentConfig(loaded, store, (range) =>
    holdsShardQueues(redis.target, range, logger),
  );
  logger.info({ shards: config.SHARDS }, 'deployment');
  const proxy = await startProxy({ config, logger, metrics, redis: redis.target, store });
  proxySteps.push(...proxy.shutdownSteps(timeoutMs));
  if (role === 'all') {
    const worker = await startWorker({
      config,
      logger,
      metrics,
      redis: redis.target,
      store,
      serveMetrics: false,
    });
    workerSteps.push(...worker.shutdownSteps(timeoutMs));
  }
}

main().catch(exitOnStartFailure('pacproxy'));
