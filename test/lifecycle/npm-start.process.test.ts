import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { freePort } from '../helpers/net';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';

const root = path.resolve(__dirname, '../..');

async function healthz(port: number): Promise<boolean> {
  try {
    const res = await request(`http://127.0.0.1:${port}/healthz`);
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

describe('npm start, stopped by a signal', () => {
  let sim: Simulator;
  let redis: RedisProcess;
  let dir: string;

  beforeAll(async () => {
    sim = await createSimulator();
    redis = await RedisProcess.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-npm-start-'));
  });
  afterAll(async () => {
    await sim.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['SIGTERM to npm alone (`kill <pid of npm>`)', (npmPid: number) => process.kill(npmPid, 'SIGTERM')],
    [
      // the terminal signals the whole foreground group, and npm relays its copy to node too
      'Ctrl-C in a terminal (SIGINT to the whole process group)',
      (npmPid: number) => process.kill(-npmPid, 'SIGINT'),
    ],
  ])(
    'stops the node process cleanly (exit 0) on %s',
    async (_how, stop) => {
      const port = await freePort();
      // detached: its own process group, as a job started with `&` from a shell script
      const npm = spawn('npm', ['start', '--silent'], {
        cwd: root,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          PORT: String(port),
          HOST: '127.0.0.1',
          REDIS_URL: redis.url,
          PACCURATE_URL: sim.url,
          SQLITE_PATH: path.join(dir, 'stats.db'),
          OUTBOX_DIR: path.join(dir, 'outbox'),
          SHUTDOWN_TIMEOUT_MS: '10000',
          LOG_LEVEL: 'warn',
        },
      });
      let output = '';
      npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
      try {
        await waitFor(() => healthz(port), {
          timeoutMs: 120_000,
          intervalMs: 200,
          what: 'npm start serving',
        });
        stop(npm.pid!);
        expect([await exited, output]).toEqual([0, expect.not.stringContaining('abandoned')]);
        // the node process behind npm is gone too: nothing answers on its port any more
        await waitFor(async () => !(await healthz(port)), { timeoutMs: 10_000, what: 'the port closed' });
      } finally {
        // whatever is left of the group this test started (a node process npm failed to stop)
        try {
          process.kill(-npm.pid!, 'SIGKILL');
        } catch {
          // the group is gone: nothing left
        }
      }
    },
    180_000,
  );
});
