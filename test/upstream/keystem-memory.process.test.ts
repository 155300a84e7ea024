import { Redis } from 'ioredis';
import { hashApiKey } from '../../src/upstream/api-key';
import {
  KEYSTEM_KEY_PREFIX,
  KeystemMemory,
  SEEN_KEYSTEMS_KEY,
  UNKNOWN_KEYSTEM,
} from '../../src/upstream/keystem-memory';
import { LogCapture } from '../helpers/log-capture';
import { RedisProcess } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';

const KEY = 'aqRAiz-8RAsecret-part-of-the-key';
const logs = new LogCapture();
const logger = logs.logger();

describe('KeystemMemory', () => {
  let redisServer: RedisProcess;
  let redis: Redis;

  beforeAll(async () => {
    redisServer = await RedisProcess.start();
    redis = new Redis(redisServer.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
  });
  afterAll(async () => {
    redis.disconnect();
    await redisServer.stop();
  });

  it('remembers a keystem per API key, in Redis under the hash of the key only', async () => {
    const memory = new KeystemMemory({ redis, logger });
    expect(await memory.recall(KEY)).toBe(UNKNOWN_KEYSTEM);
    memory.remember(KEY, 'aqRAiz-8RA');
    expect(await memory.recall(KEY)).toBe('aqRAiz-8RA');
    expect(await memory.recall('another-key')).toBe(UNKNOWN_KEYSTEM);
    expect(await memory.recall(undefined)).toBe(UNKNOWN_KEYSTEM);

    const redisKey = KEYSTEM_KEY_PREFIX + hashApiKey(KEY);
    await waitFor(async () => (await redis.get(redisKey)) === 'aqRAiz-8RA', { what: 'the keystem in Redis' });
    const keys = await redis.keys('*');
    expect(keys.sort()).toEqual([redisKey, SEEN_KEYSTEMS_KEY].sort());
    expect(await new KeystemMemory({ redis, logger }).seen('aqRAiz-8RA')).toBe(true);
    expect(await new KeystemMemory({ redis, logger }).seen('Never-Seen')).toBe(false);
    expect(keys.join()).not.toContain(KEY);

    // another proxy (or this one after a restart) finds it in Redis
    const elsewhere = new KeystemMemory({ redis, logger });
    expect(await elsewhere.recall(KEY)).toBe('aqRAiz-8RA');
  });

  it('writes to Redis only when the keystem changes', async () => {
    const memory = new KeystemMemory({ redis, logger });
    const redisKey = KEYSTEM_KEY_PREFIX + hashApiKey('changing-key');
    memory.remember('changing-key', 'first-stem');
    await waitFor(async () => (await redis.get(redisKey)) === 'first-stem', { what: 'first write' });
    // The memory writes on this same connection, so a GET issued after remember() sees its SET.
    await redis.set(redisKey, 'set-elsewhere');
    memory.remember('changing-key', 'first-stem');
    expect(await redis.get(redisKey)).toBe('set-elsewhere');
    memory.remember('changing-key', 'second-stem');
    expect(await redis.get(redisKey)).toBe('second-stem');
  });

  it('forgets the least recently used keys beyond its bound', async () => {
    const memory = new KeystemMemory({ redis: null, logger, maxEntries: 2 });
    memory.remember('a', 'A');
    memory.remember('b', 'B');
    expect(await memory.recall('a')).toBe('A');
    memory.remember('a', 'A'); // touch: b is now the oldest
    memory.remember('c', 'C');
    expect(await memory.recall('b')).toBe(UNKNOWN_KEYSTEM);
    expect(await memory.recall('a')).toBe('A');
    expect(await memory.recall('c')).toBe('C');
  });

  it('never fails when Redis is down: local memory, else unknown; and logs no key', async () => {
    const local = new KeystemMemory({ redis, logger });
    local.remember(KEY, 'DOWN-STEM');
    await redisServer.kill();
    try {
      local.remember('down-key-2', 'OTHER');
      expect(await local.recall(KEY)).toBe('DOWN-STEM');
      expect(await local.recall('down-key-2')).toBe('OTHER');
      const fresh = new KeystemMemory({ redis, logger, lookupTimeoutMs: 200 });
      expect(await fresh.recall(KEY)).toBe(UNKNOWN_KEYSTEM);
      // the outage line (a warning naming the failed operation) is written, and holds no key
      await waitFor(() => logs.records().some((r) => r.level === 40 && r.op !== undefined), {
        what: 'outage log',
      });
      expect(logs.lines.join('')).not.toMatch(/down-key|secret-part/);
    } finally {
      await redisServer.restart();
      // back before the suite disconnects: a connection still reconnecting holds ioredis's
      // disconnect timer open, and Jest's exit waits for it
      await waitFor(() => redis.status === 'ready', { what: 'redis connection back' });
    }
  });
});
