import type { LoadedConfig } from '../config';
import type { Logger } from '../log/logger';
import { MongoStore } from './mongo';
import { mongoPort } from './mongo-port';
import { SqliteStore } from './sqlite';
import { SqliteThreadStore } from './sqlite-thread';
import type { StatsStore } from './types';

export type { StatsStore } from './types';

/**
 * Where a SQLite store runs: on a thread of its own (sqlite-thread.ts), for a process that also
 * answers requests — a commit's fsync or a long history read on its event loop would hold them
 * up; or on the event loop, for a worker process, which answers nothing: there the thread's price
 * (every batch's events copied to it) slowed the drain, by a quarter with two worker processes.
 */
export type SqlitePlacement = 'own-thread' | 'event-loop';

/**
 * The configured backend, not yet initialised (call `init()`): SQLite at SQLITE_PATH (its
 * folder is created), placed as asked, or MongoDB at MONGODB_URL (a replica set). Nothing
 * connects here.
 */
export function createStore(config: LoadedConfig, logger: Logger, sqlite: SqlitePlacement): StatsStore {
  const historyRetentionMs = config.HISTORY_RETENTION_DAYS * 24 * 60 * 60 * 1000;
  const maxBoxTypesPerKeystem = config.BOX_TYPES_PER_KEYSTEM;
  if (config.STORE === 'mongodb') {
    // never log the URL: it may carry credentials
    logger.info({ store: 'mongodb', db: config.MONGODB_DB }, 'stats store');
    return new MongoStore({
      port: mongoPort(config.MONGODB_URL as string, config.MONGODB_DB),
      historyRetentionMs,
      maxBoxTypesPerKeystem,
    });
  }
  logger.info({ store: 'sqlite', path: config.SQLITE_PATH, placement: sqlite }, 'stats store');
  const options = { path: config.SQLITE_PATH, historyRetentionMs, maxBoxTypesPerKeystem };
  if (sqlite === 'event-loop') return new SqliteStore(options);
  return new SqliteThreadStore(options, ({ exitCode, err }) =>
    logger.error(
      { exitCode, err },
      'the SQLite store thread stopped; a new one opens the database at the next call',
    ),
  );
}
