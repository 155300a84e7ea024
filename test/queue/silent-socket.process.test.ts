import { createRedis, REDIS_SOCKET_TIMEOUT_MS, type RedisClient } from '../../src/queue/redis';
import { RedisProcess } from '../helpers/redis-server';
import { SilentProxy } from '../helpers/silent-proxy';
import { waitFor } from '../helpers/wait';
import { captureLogger } from '../pipeline/support/log';

/**
 * A Redis connection whose socket goes silent — no reset, no error, as when a host vanishes or
 * a NAT forgets the connection — is dropped once it waited REDIS_SOCKET_TIMEOUT_MS for an
 * answer, and made again: without that, ioredis would wait on it for good.
 */
describe('a Redis connection whose socket goes silent', () => {
  let server: RedisProcess;
  let proxy: SilentProxy;
  let redis: RedisClient | undefined;

  beforeEach(async () => {
    server = await RedisProcess.start();
    proxy = await SilentProxy.start(server.port);
  });

  afterEach(async () => {
    redis?.disconnect();
    await proxy.close();
    await server.stop();
  });

  it('of a worker is made again and the command waiting on it answered (resent)', async () => {
    redis = createRedis(proxy.url, 'worker', 'test-worker', captureLogger().logger);
    await redis.set('k', 'v');
    expect(proxy.silence()).toBe(1);
    const sentAt = Date.now();
    expect(await redis.get('k')).toBe('v');
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(REDIS_SOCKET_TIMEOUT_MS - 100);
  }, 20_000);

  it('that fails fast refuses the command waiting on it, then answers again on a new socket', async () => {
    const client = createRedis(proxy.url, 'fail-fast', 'test-fail-fast', captureLogger().logger);
    redis = client;
    await waitFor(() => client.status === 'ready', { what: 'the connection' });
    await client.set('k', 'v');
    expect(proxy.silence()).toBe(1);
    await expect(redis.get('k')).rejects.toThrow();
    await waitFor(async () => (await client.get('k').catch(() => null)) === 'v', {
      timeoutMs: 3 * REDIS_SOCKET_TIMEOUT_MS,
      what: 'an answer on a new connection',
    });
  }, 30_000);
});
