import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testConfig } from '../../src/config';
import { createLogger } from '../../src/log/logger';
import { createStore, type SqlitePlacement } from '../../src/store';
import { MongoStore } from '../../src/store/mongo';
import { SqliteStore } from '../../src/store/sqlite';
import { SqliteThreadStore } from '../../src/store/sqlite-thread';

// a process test: the SQLite store's thread runs the compiled store from dist/ (global setup)

describe('createStore', () => {
  const logger = createLogger('silent');

  it.each<[SqlitePlacement, unknown]>([
    ['own-thread', SqliteThreadStore],
    ['event-loop', SqliteStore],
  ])(
    'makes the SQLite store by default (placed %s), creating the folder of SQLITE_PATH at init',
    async (placement, kind) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'pacproxy-factory-'));
      const file = path.join(dir, 'data', 'pacproxy.db');
      const store = createStore(testConfig({ SQLITE_PATH: file }), logger, placement);
      expect(store).toBeInstanceOf(kind);
      await store.init();
      expect(existsSync(file)).toBe(true);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  );

  it('makes the MongoDB store for STORE=mongodb without connecting yet, wherever SQLite would run', async () => {
    const store = createStore(
      testConfig({ STORE: 'mongodb', MONGODB_URL: 'mongodb://127.0.0.1:1/?replicaSet=rs0' }),
      logger,
      'own-thread',
    );
    expect(store).toBeInstanceOf(MongoStore);
    await store.close();
  });
});
