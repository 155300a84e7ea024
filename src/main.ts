import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './log/logger';
import { Metrics } from './metrics/metrics';
import { configuredRedis, describeRedis, redisTarget } from './queue/redis';
import { localRedis } from './runtime/local-redis';
import { startProxy } from './runtime/proxy-role';
import { onShutdownSignal } from './runtime/shutdown';
import { createStore } from './store';
import { ShardWorker } from '../workers/worker';

/**
 * `npm start` (no argument): proxy and shard workers in one process, SQLite in ./data, Redis
 * from REDIS_URL (or REDIS_CLUSTER_NODES, REDIS_SENTINELS), 127.0.0.1:6379 or a private redis-server (see runtime/local-redis.ts).
 * `npm run start:proxy` (argument `proxy`): the proxy alone, on REDIS_URL (default
 * 127.0.0.1:6379); its workers run elsewhere (`npm run start:worker`).
 */

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`pacproxy: ${err.message}`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const role = process.argv[2] ?? 'all';
  if (role !== 'all' && role !== 'proxy')
    throw new Error(`unknown role "${role}" (expected: proxy, or none)`);
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  const metrics = new Metrics();
  const redis =
    role === 'all'
      ? await localRedis({ target: configuredRedis(config), dataDir: './data/redis', logger })
      : { target: redisTarget(config), close: async () => undefined };
  logger.info({ redis: describeRedis(redis.target) }, 'Redis');
  const store = createStore(config, logger);
  await store.init();
  const proxy = await startProxy({ config, logger, metrics, redis: redis.target, store });
  const workers =
    role === 'all' ? new ShardWorker({ config, logger, metrics, redis: redis.target, store }) : null;
  workers?.start();
  onShutdownSignal(logger, async () => {
    await proxy.close();
    await workers?.close();
    await store.close();
    await redis.close();
  });
}

main().catch((err: unknown) => {
  console.error(`pacproxy: failed to start: ${(err as Error).message}`);
  process.exit(1);
});
