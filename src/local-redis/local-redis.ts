import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../log/logger';
import type { RedisTarget } from '../queue/redis';
import { freePort } from '../util/free-port';
import type { ErrorCode } from '../errors/registry';

/**
 * The Redis `npm start` uses: the configured one when set (REDIS_URL, REDIS_CLUSTER_NODES or
 * REDIS_SENTINELS); else one answering on 127.0.0.1:6379; else a
 * private `redis-server` child configured as the pipeline needs it (AOF on, fsync every
 * second, noeviction), its data in ./data/redis, on port 6380 (or any free port if taken),
 * stopped with the process. Without redis-server installed, a clear error names the package.
 */

export interface RedisEndpoint {
  target: RedisTarget;
  /** stops the private redis-server, if one was started */
  close(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  readonly code = 'PACPROXY_ERR_NO_REDIS' satisfies ErrorCode;
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnavailableError';
  }
}

export interface LocalRedisOptions {
  /** the configured Redis (configuredRedis), if any */
  target: RedisTarget | undefined;
  /** folder of the private server's AOF (./data/redis) */
  dataDir: string;
  logger: Logger;
  /** where a local Redis may already answer (6379) */
  sharedPort?: number;
  /** the private server's port when it is free (6380) */
  privatePort?: number;
  /** the program to start (redis-server, found on PATH) */
  command?: string;
}

export async function localRedis(options: LocalRedisOptions): Promise<RedisEndpoint> {
  const nothingToClose = async () => undefined;
  if (options.target) return { target: options.target, close: nothingToClose };
  const { sharedPort = 6379, privatePort = 6380 } = options;
  if (await answersPing(sharedPort)) {
    options.logger.info(`using the Redis on 127.0.0.1:${sharedPort}`);
    return { target: nodeAt(sharedPort), close: nothingToClose };
  }
  const dir = path.resolve(options.dataDir);
  mkdirSync(dir, { recursive: true });
  const portFile = path.join(dir, 'redis.port');
  // a private server left running by a process that was killed: adopt it rather than start a
  // second server on the same AOF
  const left = Number(readFileSync(portFile, { encoding: 'utf8', flag: 'a+' }).trim());
  for (const candidate of [left, privatePort]) {
    if (candidate > 0 && (await serverDir(candidate)) === dir) {
      options.logger.info({ port: candidate, dir }, 'using the private redis-server left running');
      return { target: nodeAt(candidate), close: () => shutdown(candidate) };
    }
  }
  const port = (await portFree(privatePort)) ? privatePort : await freePort();
  const child = await spawnRedis(options.command ?? 'redis-server', port, dir);
  writeFileSync(portFile, `${port}\n`);
  options.logger.info({ port, dir }, 'started a private redis-server (AOF, appendfsync everysec)');
  return {
    target: nodeAt(port),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function nodeAt(port: number): RedisTarget {
  return { shape: 'node', url: `redis://127.0.0.1:${port}` };
}

/** The data folder of the Redis answering on the port, or null. */
async function serverDir(port: number): Promise<string | null> {
  if (!(await answersPing(port))) return null;
  const redis = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    const [, dir] = (await redis.config('GET', 'dir')) as [string, string];
    return dir;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

async function shutdown(port: number): Promise<void> {
  const redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0 });
  await redis.shutdown().catch(() => undefined); // the connection drops as the server stops
  redis.disconnect();
}

/**
 * A redis-server on 127.0.0.1 as Pacproxy needs it: AOF with fsync every second (a process crash
 * loses nothing acknowledged), no RDB snapshots, and noeviction (queued events are never dropped).
 */
export function redisServerArgs(port: number, dir: string): string[] {
  return [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
    ...['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''],
    ...['--maxmemory-policy', 'noeviction'],
  ];
}

async function spawnRedis(command: string, port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(command, redisServerArgs(port, dir), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new RedisUnavailableError(
              `no Redis: REDIS_URL is not set, nothing answers on 127.0.0.1:6379, and ${command} is not ` +
                'installed. Install it (Debian/Ubuntu: apt-get install redis-server) or set REDIS_URL.',
            )
          : err,
      );
    });
    child.once('exit', (code) =>
      reject(new RedisUnavailableError(`redis-server exited (code ${code}) at start: ${stderr.trim()}`)),
    );
  });
  failed.catch(() => undefined);
  const deadline = performance.now() + 10_000;
  while (!(await Promise.race([answersPing(port), failed]))) {
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new RedisUnavailableError(`redis-server did not answer on port ${port} within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

/** True when something on 127.0.0.1:port answers PING with PONG. */
export function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
