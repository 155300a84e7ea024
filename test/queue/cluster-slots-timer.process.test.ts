import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { RedisCluster } from '../helpers/redis-server';

const REDIS_MODULE = path.resolve(__dirname, '../../dist/src/queue/redis.js');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * ioredis schedules a Cluster client's next periodic slots refresh from the refresh in flight,
 * even after the client was closed: the closed client would refresh for good, and its timer keep
 * the process alive (a test run was held open so). src/queue/cluster-slots-timer.ts cancels it.
 */
describe('a Redis Cluster client closed while its periodic slots refresh waits on a node', () => {
  let cluster: RedisCluster;

  beforeAll(async () => {
    cluster = await RedisCluster.start(3);
  });

  afterAll(async () => {
    await cluster.stop();
  });

  it('lets its process exit: nothing is refreshed after the close', async () => {
    const nodes = cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
    const script = `
      const { connectRedis, redisOptions } = require(${JSON.stringify(REDIS_MODULE)});
      const client = connectRedis({ shape: 'cluster', nodes: ${JSON.stringify(nodes)}, tls: false },
        redisOptions('fail-fast', 'test'));
      client.on('error', () => undefined);
      client.once('ready', () => process.send('ready'));
      process.once('message', () => { client.disconnect(); process.disconnect(); });
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const exited = once(child, 'exit');
    try {
      await once(child, 'message'); // ready: a slots refresh every 2 s from now
      for (const node of cluster.nodes) node.pause(); // CLUSTER SLOTS goes unanswered
      await sleep(2500); // the periodic refresh is waiting on a node
      child.send('close');
      await sleep(500);
      for (const node of cluster.nodes) node.resume();
      let alive: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        exited.then(() => 'exited'),
        new Promise((resolve) => (alive = setTimeout(() => resolve('alive'), 10_000))),
      ]);
      clearTimeout(alive); // else it would hold jest open for its 10 s
      expect(outcome).toBe('exited');
    } finally {
      for (const node of cluster.nodes) node.resume();
      child.kill('SIGKILL');
    }
  }, 40_000);
});
