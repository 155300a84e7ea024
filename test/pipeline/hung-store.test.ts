import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testConfig } from '../../src/config';
import { SqliteStore } from '../../src/store/sqlite';
import type { StatsStore } from '../../src/store/types';
import { ShardWorker } from '../../workers/worker';
import { waitFor } from '../helpers/wait';
import { keystems, packEvent } from './support/events';
import { PipelineHarness } from './support/harness';
import { captureLogger } from './support/log';
import { countedTotal } from './support/totals';

/** The store, except that applyBatch never answers: a commit stuck for good (a hung MongoDB, say). */
function hungStore(store: StatsStore): StatsStore {
  return Object.assign(Object.create(store) as StatsStore, {
    applyBatch: () => new Promise<never>(() => undefined),
  });
}

describe('a store write that never answers', () => {
  let h: PipelineHarness;
  let dir: string;
  let store: SqliteStore;
  const config = testConfig({ SHARDS: 4, FLUSH_INTERVAL_MS: 100, FLUSH_MAX_JOBS: 100, LEASE_TTL_MS: 1500 });

  beforeEach(async () => {
    h = await PipelineHarness.start({ SHARDS: 4, LEASE_TTL_MS: 1500 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-hung-store-'));
    store = new SqliteStore({ path: path.join(dir, 'stats.db') });
    await store.init();
  });
  afterEach(async () => {
    await store.close();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails at the store write deadline (worker unready), the stop ends anyway, and nothing is lost', async () => {
    const { logger } = captureLogger();
    const ks = keystems(8);
    const stuck = new ShardWorker({
      config,
      redis: h.server.url,
      store: hungStore(store),
      logger,
      workerId: 'stuck',
    });
    stuck.start();
    await h.record(Array.from({ length: 200 }, (_, i) => packEvent(ks[i % ks.length]!)));

    await waitFor(() => !stuck.readiness().ready, { what: 'the worker unready' });
    expect(stuck.readiness().reason).toMatch(/store cannot commit.*did not answer within 1500 ms/);

    const report = await stuck.close(3000);
    expect(report.abandoned.map((a) => a.name)).toContain('open batches');

    // the next owner gets the batches the stuck one could not commit
    const next = new ShardWorker({ config, redis: h.server.url, store, logger, workerId: 'next' });
    next.start();
    try {
      await waitFor(async () => (await countedTotal(store, ks)) === 200, {
        timeoutMs: 30_000,
        what: '200 counted',
      });
      expect(next.readiness()).toEqual({ ready: true });
    } finally {
      await next.close();
    }
  });
});
