import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createDeadLetterQueue, createShardQueues } from '../../src/queue/queues';
import { createRedis, type RedisClient, type RedisUse } from '../../src/queue/redis';
import { shardLayout } from '../../src/queue/shard';
import { createManualWorker } from '../../workers/manual-worker';
import { freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';
import { captureLogger } from '../pipeline/support/log';

/**
 * A proxy or worker started while Redis is down and stopped before Redis ever came up closes
 * its queues or workers before their shared connection was ready. BullMQ still waits for that
 * connection underneath and reports the wait's failure as an 'error' event once the connection
 * ends — after the close removed every listener: unheard, it would be an unhandled error that
 * crashes the stopping process instead of letting it exit cleanly.
 */
describe('closed before their shared connection was ever ready', () => {
  let unhandled: unknown[];
  const record = (reason: unknown) => unhandled.push(reason);

  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', record);
  });

  afterEach(() => {
    process.off('unhandledRejection', record);
  });

  /** A connection to a port nothing listens on (refused, as when Redis is down). */
  async function downRedis(use: RedisUse) {
    return createRedis(`redis://127.0.0.1:${await freePort()}`, use, 'test', captureLogger().logger);
  }

  /**
   * What surfaces once the connection was refused while the queues or workers waited for it,
   * they were closed, and the connection ended: BullMQ's wait fails on the connection's 'end'.
   */
  async function unhandledAfter(redis: RedisClient, close: () => Promise<void>): Promise<unknown[]> {
    await once(redis, 'error');
    await close();
    redis.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 100));
    return unhandled;
  }

  it('the shard and dead-letter queues leave no unhandled error behind', async () => {
    const redis = await downRedis('fail-fast');
    const queues = [...createShardQueues(redis, 2), createDeadLetterQueue(redis)];
    const close = async () => void (await Promise.all(queues.map((q) => q.close())));
    expect(await unhandledAfter(redis, close)).toEqual([]);
  });

  it('a shard worker leaves no unhandled error behind', async () => {
    const redis = await downRedis('worker');
    const worker = createManualWorker(shardLayout(0), redis, 'test-worker', 1000);
    worker.on('error', () => undefined);
    expect(await unhandledAfter(redis, () => worker.close())).toEqual([]);
  });
});

/**
 * A Redis that answers the connection's own ready check but never BullMQ's version check (an
 * INFO it sends once the connection is ready): a worker closed while that check waits has its
 * blocking connection — one BullMQ makes itself, not a SharedConnection — fail the check with
 * "Connection is closed." after its close removed every listener.
 */
async function redisSilentAfterReady(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let infos = 0;
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      // each command is a RESP array of bulk strings: *N\r\n($len\r\nword\r\n)×N
      for (;;) {
        const parsed = parseCommand(pending);
        if (!parsed) return;
        pending = pending.slice(parsed.length);
        if (parsed.name === 'info') {
          infos += 1;
          if (infos > 1) continue; // BullMQ's check waits forever
          const info = '# Server\r\nredis_version:7.0.15\r\nloading:0\r\n';
          socket.write(`$${Buffer.byteLength(info)}\r\n${info}\r\n`);
        } else socket.write('+OK\r\n');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The command's name and length once `text` holds all of it, else undefined. */
function parseCommand(text: string): { name: string; length: number } | undefined {
  const lines = text.split('\r\n');
  const count = Number(lines[0]?.slice(1));
  if (!(count > 0) || lines.length < 2 + count * 2) return undefined;
  const length = lines.slice(0, 1 + count * 2).join('\r\n').length + 2;
  return { name: (lines[2] ?? '').toLowerCase(), length };
}

describe('closed while BullMQ still checks the Redis version', () => {
  it('a shard worker leaves no unhandled error behind', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    const redis = await redisSilentAfterReady();
    const connection = createRedis(
      `redis://127.0.0.1:${redis.port}`,
      'worker',
      'test',
      captureLogger().logger,
    );
    try {
      const worker = createManualWorker(shardLayout(0), connection, 'test-worker', 1000);
      worker.on('error', () => undefined);
      // both connections ready, both version checks waiting
      await waitFor(() => connection.status === 'ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
      await worker.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
      connection.disconnect();
      await redis.close();
    }
  });
});
