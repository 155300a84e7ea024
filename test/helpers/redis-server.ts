import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { answersPing, redisServerArgs } from '../../src/local-redis/local-redis';
import { freePort } from './net';
import { waitFor } from './wait';

/**
 * A private redis-server for one test file: its own free port and temp folder, AOF on (so a
 * SIGKILL + restart keeps what was acknowledged, as in production), stopped by `stop()`.
 */
export class RedisProcess {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisProcess> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-redis-'));
    const redis = new RedisProcess(await freePort(), dir);
    await redis.restart();
    return redis;
  }

  /** Starts (again) on the same port and data folder: an AOF restart after `kill()`. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    const child = spawn('redis-server', redisServerArgs(this.port, this.dir), { stdio: 'ignore' });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    await waitFor(() => answersPing(this.port), { timeoutMs: 10_000, what: `redis-server on ${this.port}` });
  }

  /** SIGKILL: the crash case. Resolves once the process is gone. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGSTOP: Redis stays connected but answers nothing (a stall, not a crash). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT after `pause()`: Redis answers again, the commands sent meanwhile included. */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    this.resume(); // a paused server would hold SIGTERM until continued
    await this.signal('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(sig);
    await exited;
    this.child = null;
  }
}
