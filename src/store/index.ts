import type { Config } from '../config';
import type { Logger } from '../log/logger';
import { MongoStore } from './mongo';
import { mongoPort } from './mongo-port';
import { SqliteThreadStore } from './sqlite-thread';
import type { StatsStore } from './types';

export type { StatsStore } from './types';

/**
 * The configured backend, not yet initialised (call `init()`): SQLite at SQLITE_PATH (its
 * folder is created), run on a thread of its own (sqlite-thread.ts), or MongoDB at MONGODB_URL
 * (a replica set). Nothing connects here.
 */
export function createStore(config: Config, logger: Logger): StatsStore {
  const historyRetentionMs = config.HISTORY_RETENTION_DAYS * 24 * 60 * 60 * 1000;
  if (config.STORE === 'mongodb') {
    // never log the URL: it may carry credentials
    logger.info({ store: 'mongodb', db: config.MONGODB_DB }, 'stats store');
    return new MongoStore({
      port: mongoPort(config.MONGODB_URL as string, config.MONGODB_DB),
      historyRetentionMs,
    });
  }
  logger.info({ store: 'sqlite', path: config.SQLITE_PATH }, 'stats store');
  return new SqliteThreadStore({ path: config.SQLITE_PATH, historyRetentionMs });
}
