import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { portOpen } from '../../ops/bench/lib/net';
import { clusterNodeArgs, createCluster, redisCli } from '../../ops/bench/lib/redis';
import { answersPing, redisServerArgs } from '../../src/local-redis/local-redis';
import { withTimeout } from '../../src/util/with-timeout';
import { freePort } from './net';
import { waitFor } from './wait';

/** How long a redis-server may take to exit once signalled (then it is SIGKILLed, and its test told). */
const EXIT_DEADLINE_MS = 20_000;

/**
 * A private redis-server for one test file: its own free port and temp folder, AOF on (so a
 * SIGKILL + restart keeps what was acknowledged, as in production), stopped by `stop()`.
 */
export class RedisProcess {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly dir: string,
    /** arguments after the usual ones (cluster mode, replicaof, …), or a sentinel's whole command line */
    private readonly args: string[],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(extraArgs: string[] = []): Promise<RedisProcess> {
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-redis-'));
    const redis = new RedisProcess(port, dir, [...redisServerArgs(port, dir), ...extraArgs]);
    await redis.restart();
    return redis;
  }

  /** A sentinel (`redis-server <conf> --sentinel`) watching `master` under the name given. */
  static async startSentinel(
    masterName: string,
    master: RedisProcess,
    downAfterMs: number,
  ): Promise<RedisProcess> {
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacproxy-sentinel-'));
    const conf = path.join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 2`,
        `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
        `sentinel failover-timeout ${masterName} ${downAfterMs * 5}`,
        `sentinel parallel-syncs ${masterName} 1`,
        '',
      ].join('\n'),
    );
    const sentinel = new RedisProcess(port, dir, [conf, '--sentinel']);
    await sentinel.restart();
    return sentinel;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts (again) on the same port and data folder: an AOF restart after `kill()`. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    const child = spawn('redis-server', this.args, { stdio: 'ignore' });
    this.child = child;
    // a server a failed or abandoned hook left running must not keep the test runner from exiting
    // (one once held a CI run open after its last test)
    child.unref();
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    // a server with a password answers PING with NOAUTH: there, an open port is the sign
    const up = this.args.includes('--requirepass') ? () => portOpen(this.port) : () => answersPing(this.port);
    await waitFor(up, { timeoutMs: 10_000, what: `redis-server on ${this.port}` });
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
    try {
      await withTimeout(exited, EXIT_DEADLINE_MS, `redis-server on port ${this.port} exiting on ${sig}`);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    this.child = null;
  }
}

/** Short timeouts, so a dead master is noticed and replaced in a few seconds. */
export const FAILOVER_AFTER_MS = 2000;

/**
 * A Redis Cluster for one test file: `masters` masters with one replica each, made by
 * `redis-cli --cluster create … --cluster-replicas 1`, every node AOF on and noeviction.
 */
export class RedisCluster {
  private constructor(readonly nodes: RedisProcess[]) {}

  static async start(masters = 3): Promise<RedisCluster> {
    const nodes: RedisProcess[] = [];
    try {
      for (let i = 0; i < masters * 2; i++)
        nodes.push(await RedisProcess.start(clusterNodeArgs(FAILOVER_AFTER_MS)));
      await createCluster(nodes.map((n) => n.address));
      const cluster = new RedisCluster(nodes);
      return cluster;
    } catch (err) {
      await Promise.all(nodes.map((n) => n.stop()));
      throw err;
    }
  }

  /** REDIS_CLUSTER_NODES */
  get seeds(): string {
    return this.nodes.map((n) => n.address).join(',');
  }

  /** Every running node says the cluster is ok and sees the same number of masters. */
  async healthy(): Promise<boolean> {
    const running = this.nodes.filter((n) => n.running);
    const infos = await Promise.all(
      running.map((n) => redisCli(['-p', String(n.port), 'cluster', 'info']).catch(() => '')),
    );
    return infos.every((info) => info.includes('cluster_state:ok'));
  }

  /** The running node that is master for the slot of `key`. */
  async masterOf(key: string): Promise<RedisProcess> {
    const any = this.nodes.find((n) => n.running)!;
    const slot = Number((await redisCli(['-p', String(any.port), 'cluster', 'keyslot', key])).trim());
    const owner = (await clusterNodes(any.port)).find(
      (n) =>
        n.flags.includes('master') &&
        !n.flags.includes('fail') &&
        n.connected &&
        n.slots.some(([from, to]) => slot >= from && slot <= to),
    );
    const node = this.nodes.find((n) => n.port === owner?.port);
    if (!node) throw new Error(`no master found for slot ${slot}`);
    return node;
  }

  /** The node that replicates `master`. */
  async replicaOf(master: RedisProcess): Promise<RedisProcess> {
    const table = await clusterNodes(master.port);
    const own = table.find((n) => n.flags.includes('myself'));
    const replica = table.find((n) => n.masterId === own?.id);
    const node = this.nodes.find((n) => n.port === replica?.port);
    if (!node) throw new Error(`no replica found for the master on ${master.port}`);
    return node;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

interface ClusterNodeLine {
  id: string;
  port: number;
  flags: string;
  /** the master's id for a replica, '-' for a master */
  masterId: string;
  connected: boolean;
  /** the slot ranges a master serves, inclusive */
  slots: Array<[number, number]>;
}

/** `CLUSTER NODES` as the node on `port` sees the cluster. */
async function clusterNodes(port: number): Promise<ClusterNodeLine[]> {
  const lines = (await redisCli(['-p', String(port), 'cluster', 'nodes'])).trim().split('\n');
  return lines.map((line) => {
    const [id = '', address = '', flags = '', masterId = '', , , , state, ...ranges] = line.split(' ');
    return {
      id,
      port: Number(address.split('@')[0]?.split(':')[1]),
      flags,
      masterId,
      connected: state === 'connected',
      slots: ranges.map((r) => {
        const [from, to = from] = r.split('-').map(Number);
        return [from!, to!];
      }),
    };
  });
}

/** A master, one replica and three sentinels (quorum 2) watching them under MASTER_NAME. */
export class RedisSentinelSet {
  static readonly MASTER_NAME = 'pacproxy';

  private constructor(
    readonly master: RedisProcess,
    readonly replica: RedisProcess,
    readonly sentinels: RedisProcess[],
  ) {}

  static async start(): Promise<RedisSentinelSet> {
    const started: RedisProcess[] = [];
    try {
      const master = await RedisProcess.start();
      started.push(master);
      const replica = await RedisProcess.start(['--replicaof', '127.0.0.1', String(master.port)]);
      started.push(replica);
      await waitFor(
        async () =>
          (await redisCli(['-p', String(replica.port), 'info', 'replication'])).includes(
            'master_link_status:up',
          ),
        { timeoutMs: 20_000, what: 'replica in sync' },
      );
      const sentinels: RedisProcess[] = [];
      for (let i = 0; i < 3; i++) {
        const sentinel = await RedisProcess.startSentinel(
          RedisSentinelSet.MASTER_NAME,
          master,
          FAILOVER_AFTER_MS,
        );
        started.push(sentinel);
        sentinels.push(sentinel);
      }
      const set = new RedisSentinelSet(master, replica, sentinels);
      // every sentinel knows the replica and the other sentinels before anything is killed
      await waitFor(
        async () => {
          const views = await Promise.all(
            sentinels.map((s) =>
              redisCli(['-p', String(s.port), 'sentinel', 'master', RedisSentinelSet.MASTER_NAME]).catch(
                () => '',
              ),
            ),
          );
          return views.every((v) => /num-slaves\n1\n/.test(v) && /num-other-sentinels\n2\n/.test(v));
        },
        { timeoutMs: 30_000, intervalMs: 200, what: 'sentinels seeing the replica and each other' },
      );
      return set;
    } catch (err) {
      await Promise.all(started.map((n) => n.stop()));
      throw err;
    }
  }

  /** REDIS_SENTINELS */
  get seeds(): string {
    return this.sentinels.map((s) => s.address).join(',');
  }

  /** The port the sentinels name as master now. */
  async masterPort(): Promise<number> {
    const answer = await redisCli([
      ...['-p', String(this.sentinels[0]!.port)],
      ...['sentinel', 'get-master-addr-by-name', RedisSentinelSet.MASTER_NAME],
    ]);
    return Number(answer.trim().split('\n')[1]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.master, this.replica, ...this.sentinels].map((n) => n.stop()));
  }
}
