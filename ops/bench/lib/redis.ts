import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { redisServerArgs } from '../../../src/local-redis/local-redis';
import { ChildService } from './child';
import { freePort, portOpen } from './net';

/**
 * A private redis-server for one bench run: free port, temp folder, configured as production
 * Redis must be (AOF everysec, noeviction). `stop()` ends it and deletes its folder.
 */
export class PrivateRedis {
  private constructor(
    readonly url: string,
    readonly service: ChildService,
    private readonly dir: string,
  ) {}

  /** `extraArgs`: after the usual ones (cluster mode, say) */
  static async start(extraArgs: string[] = []): Promise<PrivateRedis> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-bench-redis-'));
    const port = await freePort();
    const service = await ChildService.start({
      name: 'redis-server',
      command: 'redis-server',
      args: [...redisServerArgs(port, dir), ...extraArgs],
      ready: () => portOpen(port),
    });
    return new PrivateRedis(`redis://127.0.0.1:${port}`, service, dir);
  }

  get address(): string {
    return new URL(this.url).host;
  }

  async stop(): Promise<void> {
    await this.service.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Makes a Redis Cluster of nodes started with `--cluster-enabled yes`: `redis-cli --cluster
 * create`, one replica per master, then waits until every node says `cluster_state:ok`.
 */
export async function createCluster(addresses: readonly string[]): Promise<void> {
  await redisCli(['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes']);
  const deadline = Date.now() + 30_000;
  const ask = (args: string[]) =>
    Promise.all(addresses.map((a) => redisCli(['-p', a.split(':')[1]!, ...args]).catch(() => '')));
  for (;;) {
    // ok everywhere, and every replica done with its first sync: a replica still loading its
    // master's data would refuse to fail over (its data counts as too old)
    const infos = await ask(['cluster', 'info']);
    const replication = await ask(['info', 'replication']);
    if (
      infos.every((info) => info.includes('cluster_state:ok')) &&
      replication.every(
        (r) => r.includes('role:master') || /master_link_status:up[\s\S]*master_sync_in_progress:0/.test(r),
      )
    )
      return;
    if (Date.now() > deadline)
      throw new Error('the Redis Cluster was not ok with its replicas in sync in 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The arguments that make a redis-server a cluster node that fails over in a few seconds. */
export function clusterNodeArgs(nodeTimeoutMs: number): string[] {
  return [
    ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
    ...['--cluster-node-timeout', String(nodeTimeoutMs)],
  ];
}

/** Runs redis-cli with the arguments; resolves with its output, rejects when it fails. */
export function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`redis-cli ${args.join(' ')}: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A private Redis Cluster for a bench run: `masters` masters, one replica each, AOF on every node. */
export class PrivateRedisCluster {
  private constructor(private readonly nodes: PrivateRedis[]) {}

  static async start(masters: number): Promise<PrivateRedisCluster> {
    const nodes: PrivateRedis[] = [];
    try {
      for (let i = 0; i < masters * 2; i++) nodes.push(await PrivateRedis.start(clusterNodeArgs(5000)));
      await createCluster(nodes.map((n) => n.address));
      return new PrivateRedisCluster(nodes);
    } catch (err) {
      await Promise.all(nodes.map((n) => n.stop()));
      throw err;
    }
  }

  /** REDIS_CLUSTER_NODES */
  get seeds(): string {
    return this.nodes.map((n) => n.address).join(',');
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
