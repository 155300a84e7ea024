import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, EARLIER_DEFAULT_SHARDS, loadConfig, NEW_DEPLOYMENT_SHARDS } from '../../src/config';
import { deploymentShards } from '../../src/config/shard-count';
import { SqliteStore } from '../../src/store/sqlite';
import { packEvent } from '../helpers/stats-events';

/** The shard count a start runs, decided by what the deployment's store records (a real SQLite file). */
describe('deploymentShards', () => {
  let dir: string;
  const stores: SqliteStore[] = [];

  /** A store on the test's file, as one more process would open it. */
  async function openStore(): Promise<SqliteStore> {
    const store = new SqliteStore({ path: path.join(dir, 'pacproxy.db') });
    stores.push(store);
    await store.init();
    return store;
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-shards-'));
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives a new deployment without SHARDS the new default, and every later start the same', async () => {
    expect(await deploymentShards(await openStore(), undefined)).toBe(NEW_DEPLOYMENT_SHARDS);
    expect(await deploymentShards(await openStore(), undefined)).toBe(NEW_DEPLOYMENT_SHARDS);
    expect(await deploymentShards(await openStore(), NEW_DEPLOYMENT_SHARDS)).toBe(NEW_DEPLOYMENT_SHARDS);
  });

  it('records SHARDS when a deployment starts with it', async () => {
    expect(await deploymentShards(await openStore(), 12)).toBe(12);
    expect(await deploymentShards(await openStore(), undefined)).toBe(12);
  });

  it('keeps the earlier default for a store an earlier version wrote with SHARDS unset', async () => {
    const old = await openStore();
    await old.applyBatch([packEvent('ks-1', 1_000)]); // written, and no count recorded
    expect(await deploymentShards(old, undefined)).toBe(EARLIER_DEFAULT_SHARDS);
  });

  it('reads an empty SHARDS as unset (docker-compose passes ${SHARDS:-}), and refuses 0', () => {
    expect(loadConfig({ SHARDS: '' }).SHARDS).toBeUndefined();
    expect(loadConfig({ SHARDS: '8' }).SHARDS).toBe(8);
    expect(() => loadConfig({ SHARDS: '0' })).toThrow(/SHARDS/);
  });

  it('refuses a start whose SHARDS differs from the recorded count, naming both', async () => {
    await deploymentShards(await openStore(), undefined);
    const start = deploymentShards(await openStore(), 8);
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(
      `SHARDS: 8, but this deployment runs ${NEW_DEPLOYMENT_SHARDS} shards`,
    );
  });

  it('gives processes starting together on one store the same count', async () => {
    const [a, b] = await Promise.all([openStore(), openStore()]);
    const counts = await Promise.allSettled([deploymentShards(a, 6), deploymentShards(b, undefined)]);
    // the first to record wins: either both run 6, or b ran the default and a was refused
    const values = counts.map((c) => (c.status === 'fulfilled' ? c.value : 'refused'));
    expect([
      [6, 6],
      ['refused', NEW_DEPLOYMENT_SHARDS],
    ]).toContainEqual(values);
  });
});
