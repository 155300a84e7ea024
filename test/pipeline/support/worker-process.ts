import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const OUTPUT_TAIL = 16_384;

export interface PipelineEnv {
  REDIS_URL: string;
  SQLITE_PATH: string;
  SHARDS: number;
  FLUSH_INTERVAL_MS: number;
  FLUSH_MAX_JOBS: number;
  LEASE_TTL_MS: number;
}

/**
 * A compiled entry point (dist/…) running as its own process with the pipeline's settings.
 * Kept output (the last 16 KB) is shown when a test fails.
 */
export class NodeProcess {
  private tail = '';
  private exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (d: Buffer) => (this.tail = (this.tail + d.toString()).slice(-OUTPUT_TAIL));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(
    name: string,
    script: string,
    env: Record<string, string | number>,
    args: string[] = [],
  ): NodeProcess {
    const child = spawn(process.execPath, [path.join(ROOT, script), ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ...stringify(env),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new NodeProcess(name, child);
  }

  /** A shard worker process: node dist/bin/worker.js */
  static worker(name: string, env: PipelineEnv): NodeProcess {
    return NodeProcess.start(name, 'dist/bin/worker.js', { ...env });
  }

  /** The proxy alone (node dist/bin/pacproxy.js proxy), on `port`, forwarding to `paccurateUrl`. */
  static proxy(name: string, env: PipelineEnv & Record<string, string | number>): NodeProcess {
    return NodeProcess.start(name, 'dist/bin/pacproxy.js', { CACHE_TTL_SECONDS: 0, ...env }, ['proxy']);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Whether a lease owner id (host-pid-random) is this process. */
  owns(ownerId: string | null): boolean {
    return ownerId !== null && ownerId.includes(`-${this.pid}-`);
  }

  output(): string {
    return `--- ${this.name} (pid ${this.pid}) ---\n${this.tail}`;
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Whether the process is still running (it was not stopped and did not exit on its own). */
  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL (the crash case); resolves once the process is gone. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.running()) this.child.kill('SIGTERM');
    return this.exited;
  }
}

function stringify(env: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}
