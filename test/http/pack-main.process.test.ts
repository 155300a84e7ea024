import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { freePort } from '../helpers/net';
import { scrape, valueOf } from '../metrics/exposition';
import { SqliteStore } from '../../src/store/sqlite';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';

const root = path.resolve(__dirname, '../..');
const main = path.join(root, 'dist/bin/pacproxy.js');
const fixture = readFileSync(path.join(__dirname, '../fixtures/paccurate-pack-request.json'));
const API_KEY = 'mainE2Ekey-the-secret-rest';
const SHARDS = 4;

/** Runs the compiled proxy with `env` on top of a clean environment, collecting its output. */
function startMain(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  let output = '';
  const data = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-main-'));
  const child = spawn(process.execPath, [main], {
    cwd: root,
    // its data (SQLite, outbox) in a temp folder, not in the checkout's ./data
    env: {
      PATH: process.env.PATH ?? '',
      SQLITE_PATH: path.join(data, 'pacproxy.db'),
      OUTBOX_DIR: path.join(data, 'outbox'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** The JSON lines of a process's output, parsed (other lines skipped). */
function logRecords(output: string): Array<Record<string, unknown>> {
  return output.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

describe('node dist/bin/pacproxy.js', () => {
  let sim: Simulator;
  let redis: RedisProcess;

  beforeAll(async () => {
    sim = await createSimulator();
    redis = await RedisProcess.start();
  });
  afterAll(async () => {
    await sim.close();
    await redis.stop();
  });

  it('serves POST / against the simulator and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const proc = startMain({
      PORT: String(port),
      HOST: '127.0.0.1',
      PACCURATE_URL: sim.url,
      REDIS_URL: redis.url,
      LOG_LEVEL: 'info',
      SHARDS: String(SHARDS),
    });
    try {
      await waitFor(
        () =>
          request(`http://127.0.0.1:${port}/readyz`).then(
            async (res) => (await res.body.dump(), true),
            () => false,
          ),
        { timeoutMs: 20_000, what: 'the proxy to answer on its port' },
      );
      const res = await request(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `apikey ${API_KEY}` },
        body: fixture,
      });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toMatchObject({
        usedKeystem: 'mainE2Ekey',
        totalItems: 1,
        totalVolume: 240,
        volumeUtilization: 0.5,
        boxTypes: { '0': 1 },
        statusCode: '200',
      });
      // the request's log line (the one that could hold a key) is out before the check below
      await waitFor(() => logRecords(proc.output()).some((r) => r.route === '/' && r.status === 200), {
        what: 'the request log line',
      });
      // one process: the workers' metrics are on the proxy's own /metrics (README, Monitoring)
      await waitFor(
        async () => {
          const samples = await scrape(`http://127.0.0.1:${port}/metrics`);
          return (
            valueOf(samples, 'pacproxy_shards_owned') === SHARDS &&
            valueOf(samples, 'pacproxy_events_processed_total', { outcome: 'applied' }) === 1
          );
        },
        { timeoutMs: 20_000, intervalMs: 200, what: 'the workers owning every shard and applying the event' },
      );
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect(await proc.exited).toBe(0);
    expect(proc.output()).not.toContain('the-secret-rest');
  });

  it("exits 1 when SHARDS differs from the deployment's recorded count", async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-main-'));
    const file = path.join(data, 'pacproxy.db');
    const store = new SqliteStore({ path: file });
    await store.init();
    await store.recordShardCount({ fresh: 4, written: 4 }); // a deployment that started with 4
    await store.close();
    try {
      const proc = startMain({
        PACCURATE_URL: sim.url,
        REDIS_URL: redis.url,
        SQLITE_PATH: file,
        SHARDS: '8',
      });
      expect(await proc.exited).toBe(1);
      expect(proc.output()).toMatch(/SHARDS: 8, but this deployment runs 4 shards/);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('exits 1 naming the bad variable', async () => {
    const proc = startMain({ PORT: 'eighty', PACCURATE_URL: sim.url });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/PORT/);
  });
});
