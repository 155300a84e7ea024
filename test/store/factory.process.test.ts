import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testConfig } from '../../src/config';
import { createLogger } from '../../src/log/logger';
import { createStore } from '../../src/store';
import { MongoStore } from '../../src/store/mongo';
import { SqliteThreadStore } from '../../src/store/sqlite-thread';

describe('createStore', () => {
  const logger = createLogger('silent');

  it('makes the SQLite store (on its own thread) by default, creating the folder of SQLITE_PATH at init', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pacproxy-factory-'));
    const file = path.join(dir, 'data', 'pacproxy.db');
    const store = createStore(testConfig({ SQLITE_PATH: file }), logger);
    expect(store).toBeInstanceOf(SqliteThreadStore);
    await store.init();
    expect(existsSync(file)).toBe(true);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes the MongoDB store for STORE=mongodb without connecting yet', async () => {
    const store = createStore(
      testConfig({ STORE: 'mongodb', MONGODB_URL: 'mongodb://127.0.0.1:1/?replicaSet=rs0' }),
      logger,
    );
    expect(store).toBeInstanceOf(MongoStore);
    await store.close();
  });
});
