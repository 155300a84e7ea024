import { Redis } from 'ioredis';
import { createServer, type Server } from 'node:http';
import { ConfigError, loadConfig, type Config } from './config';
import { createApp } from './http/app';
import { createLogger, type Logger } from './log/logger';
import { redisOptions } from './queue/redis';
import type { StatsSink } from './queue/sink';
import { KeystemMemory } from './upstream/keystem-memory';
import { PaccurateClient } from './upstream/paccurate-client';

/**
 * `npm start`: the proxy. Reads the configuration (a bad one exits 1 with a message naming the
 * variable), connects what it needs, serves POST /, and shuts down cleanly on SIGTERM/SIGINT.
 */

/** Until the pipeline is wired in here, events are logged (debug) and dropped. */
function loggingSink(logger: Logger): StatsSink {
  return {
    record: async (event) => {
      logger.debug({ eventId: event.eventId, keystem: event.keystem, kind: event.kind }, 'stats event');
    },
    close: async () => {},
  };
}

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`pacproxy: ${err.message}`);
    process.exit(1);
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL);

  // Keystem memory shared through Redis when there is one; Redis trouble never fails a request.
  // (KeystemMemory logs an outage once; the connection's own retries are debug noise.)
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, redisOptions('fail-fast', 'pacproxy-keystems'))
    : null;
  redis?.on('error', (err: Error) => logger.debug({ reason: err.message }, 'keystem Redis connection error'));
  const keystems = new KeystemMemory({ redis, logger });
  const upstream = new PaccurateClient({ url: config.PACCURATE_URL, timeoutMs: config.PACCURATE_TIMEOUT_MS });
  const sink = loggingSink(logger);

  const app = createApp({ config, logger, sink, upstream, keystems });
  const server = createServer(app);
  await listen(server, config.PORT, config.HOST);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info(
    { host: config.HOST, port, paccurate: new URL(config.PACCURATE_URL).origin, redis: redis !== null },
    'pacproxy listening',
  );

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
    await Promise.allSettled([upstream.close(), sink.close(), redis?.quit()]);
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  console.error(`pacproxy: failed to start: ${(err as Error).message}`);
  process.exit(1);
});
