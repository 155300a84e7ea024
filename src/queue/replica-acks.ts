import { Cluster, type Redis } from 'ioredis';
import { REDIS_SOCKET_TIMEOUT_MS, type RedisClient } from './redis';
import { hashSlotOf } from './shard';

export interface ReplicaAcksOptions {
  /** how long WAIT may take for a replica's acknowledgement (ENQUEUE_TIMEOUT_MS; at most REPLICA_WAIT_MAX_MS) */
  timeoutMs: number;
  /**
   * How long after a master was last seen with a replica its word alone is not taken: a master
   * whose replica was just promoted over it (a timeout, a partition) takes writes until it
   * learns it was demoted, then discards them. Redis Cluster's default node timeout, 15 s.
   */
  replicaGoneGraceMs?: number;
}

/**
 * The longest a WAIT blocks, whatever ENQUEUE_TIMEOUT_MS says: past 5 s the proxy's connection
 * times the command out and drops the socket as silent (REDIS_SOCKET_TIMEOUT_MS), failing every
 * command queued behind the WAIT; one that gives up first fails only its own events (to the outbox).
 */
export const REPLICA_WAIT_MAX_MS = REDIS_SOCKET_TIMEOUT_MS / 2;

/**
 * Redis replication is asynchronous: a master that dies right after acknowledging a write loses
 * it, and its promoted replica never had it. So with replicas (a Cluster, Sentinel), an event
 * counts as accepted only once a replica has it as well (Redis WAIT on the master that ran the
 * write). A master with no replica attached, such as one just promoted, is taken at its word —
 * unless it had one moments ago (see `replicaGoneGraceMs`); a node that is no longer a master
 * never is.
 */
export class ReplicaAcks {
  private readonly graceMs: number;
  /**
   * per server (the address a connection is on: a Sentinel client moves to the promoted
   * replica, a new server never seen with a replica): when it was last seen with one attached
   */
  private readonly lastSeenWithReplica = new Map<string, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly opts: ReplicaAcksOptions,
  ) {
    this.graceMs = opts.replicaGoneGraceMs ?? 15_000;
  }

  /** Resolves once the writes made so far on the master holding `key` are on a replica; else rejects. */
  async wait(key: string): Promise<void> {
    const node = this.redis instanceof Cluster ? masterOf(this.redis, key) : this.redis;
    const [role, , replicas = []] = (await node.call('ROLE')) as [string, number, unknown[]?];
    if (role !== 'master') {
      throw new Error(`the Redis node that took the write is a ${role} now: the write may be discarded`);
    }
    const server = `${node.stream?.remoteAddress}:${node.stream?.remotePort}`;
    if (replicas.length === 0) {
      const seen = this.lastSeenWithReplica.get(server);
      if (seen !== undefined && performance.now() - seen < this.graceMs) {
        throw new Error('the Redis master lost its replica moments ago (it may have been demoted)');
      }
      return;
    }
    this.lastSeenWithReplica.set(server, performance.now());
    const waitMs = Math.min(this.opts.timeoutMs, REPLICA_WAIT_MAX_MS);
    const acknowledged = await node.wait(1, waitMs);
    if (acknowledged < 1) throw new Error(`no replica acknowledged the write within ${waitMs} ms`);
  }
}

/** The connection to the master serving `key`'s hash slot (the one that ran the key's writes). */
function masterOf(cluster: Cluster, key: string): Redis {
  const [address] = cluster.slots[hashSlotOf(key)] ?? [];
  const node = cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === address);
  if (!node) throw new Error(`no master known for the slot of ${key}`);
  return node;
}
