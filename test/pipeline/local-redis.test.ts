import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RedisTarget } from '../../src/queue/redis';
import {
  RedisUnavailableError,
  answersPing,
  localRedis,
  type RedisEndpoint,
} from '../../src/local-redis/local-redis';
import { freePort } from '../helpers/net';
import { RedisProcess } from '../helpers/redis-server';
import { captureLogger } from './support/log';

/** `npm start`'s Redis: REDIS_URL, else a local one on the shared port, else a private child. */
describe('localRedis', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-local-redis-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the configured Redis as it is', async () => {
    const { logger } = captureLogger();
    const target: RedisTarget = {
      shape: 'cluster',
      nodes: [{ host: 'example.invalid', port: 1 }],
      tls: false,
    };
    const endpoint = await localRedis({ target, dataDir: dir, logger });
    expect(endpoint.target).toBe(target);
  });

  it('uses a Redis already answering on the shared port', async () => {
    const server = await RedisProcess.start();
    try {
      const { logger } = captureLogger();
      const endpoint = await localRedis({ target: undefined, dataDir: dir, logger, sharedPort: server.port });
      expect(endpoint.target).toEqual({ shape: 'node', url: server.url });
      await endpoint.close();
      expect(await answersPing(server.port)).toBe(true); // not ours to stop
    } finally {
      await server.stop();
    }
  });

  it('otherwise starts a private AOF redis-server in the data folder, adopts it if left running, stops it', async () => {
    const { logger } = captureLogger();
    const options = {
      target: undefined,
      dataDir: dir,
      logger,
      sharedPort: await freePort(),
      privatePort: await freePort(),
    };
    const first = await localRedis(options);
    const port = Number(new URL(urlOf(first)).port);
    const client = new Redis(urlOf(first));
    try {
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await client.config('GET', 'dir')).toEqual(['dir', dir]);
      await client.set('kept', 'yes');
      // a second start while the first server runs (its process was killed): the same server
      const second = await localRedis(options);
      expect(second.target).toEqual(first.target);
      await second.close();
      expect(await answersPing(port)).toBe(false);
    } finally {
      client.disconnect();
      await first.close();
    }
  });

  it('says which package to install when redis-server is missing', async () => {
    const { logger } = captureLogger();
    const started = localRedis({
      target: undefined,
      dataDir: dir,
      logger,
      sharedPort: await freePort(),
      command: 'redis-server-not-installed-here',
    });
    await expect(started).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(started).rejects.toThrow(/apt-get install redis-server/);
  });
});

function urlOf(endpoint: RedisEndpoint): string {
  if (endpoint.target.shape !== 'node') throw new Error('expected one Redis node');
  return endpoint.target.url;
}
