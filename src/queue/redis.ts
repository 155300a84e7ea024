import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import type { LoadedConfig } from '../config';
import type { Logger } from '../log/logger';
import './cluster-slots-timer';

/**
 * Every Redis connection Pacproxy makes, for the three shapes users run: one node (REDIS_URL),
 * a Redis Cluster (REDIS_CLUSTER_NODES, seed nodes) or a Sentinel-managed master
 * (REDIS_SENTINELS + REDIS_SENTINEL_MASTER). REDIS_PASSWORD and `rediss://` (TLS) apply to all.
 *
 * Connections are tuned per use:
 * - `fail-fast` (the proxy's producer, leases, cache): no offline queue and few retries, so a
 *   dead Redis answers with an error at once instead of holding requests;
 * - `worker` (BullMQ workers): BullMQ requires `maxRetriesPerRequest: null` and queues
 *   commands while reconnecting.
 * All reconnect quickly (at most a second apart) once Redis is back, and follow a failover:
 * the Cluster client re-reads the slot map, the Sentinel client asks the sentinels again.
 */
export type RedisUse = 'fail-fast' | 'worker';

/** A connection of any shape; BullMQ and the scripts take either. */
export type RedisClient = Redis | Cluster;

export interface RedisNodeAddress {
  host: string;
  port: number;
}

export type RedisTarget =
  | { shape: 'node'; url: string; password?: string }
  | { shape: 'cluster'; nodes: RedisNodeAddress[]; tls: boolean; password?: string }
  | { shape: 'sentinel'; sentinels: RedisNodeAddress[]; master: string; tls: boolean; password?: string };

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The Redis the configuration names, or undefined when it names none (REDIS_URL etc. unset). */
export function configuredRedis(config: LoadedConfig): RedisTarget | undefined {
  const password = config.REDIS_PASSWORD;
  if (config.REDIS_CLUSTER_NODES) {
    const { nodes, tls } = parseNodeList(config.REDIS_CLUSTER_NODES);
    return { shape: 'cluster', nodes, tls, password };
  }
  if (config.REDIS_SENTINELS && config.REDIS_SENTINEL_MASTER) {
    const { nodes, tls } = parseNodeList(config.REDIS_SENTINELS);
    return { shape: 'sentinel', sentinels: nodes, master: config.REDIS_SENTINEL_MASTER, tls, password };
  }
  if (config.REDIS_URL) return { shape: 'node', url: config.REDIS_URL, password };
  return undefined;
}

/** The configured Redis, else one node at 127.0.0.1:6379. */
export function redisTarget(config: LoadedConfig): RedisTarget {
  return (
    configuredRedis(config) ?? { shape: 'node', url: DEFAULT_REDIS_URL, password: config.REDIS_PASSWORD }
  );
}

/** `h1:p1,rediss://h2:p2`: the addresses, and whether any asks for TLS. */
export function parseNodeList(list: string): { nodes: RedisNodeAddress[]; tls: boolean } {
  let tls = false;
  const nodes = list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      if (item.startsWith('rediss://')) tls = true;
      const bare = item.replace(/^rediss?:\/\//, '');
      const colon = bare.lastIndexOf(':');
      return { host: bare.slice(0, colon), port: Number(bare.slice(colon + 1)) };
    });
  return { nodes, tls };
}

/** For logs: where Redis is, never the password. */
export function describeRedis(target: RedisTarget): string {
  const list = (nodes: RedisNodeAddress[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  switch (target.shape) {
    case 'node': {
      const url = new URL(target.url);
      return `${url.protocol}//${url.host}`;
    }
    case 'cluster':
      return `cluster ${list(target.nodes)}`;
    case 'sentinel':
      return `sentinel master "${target.master}" via ${list(target.sentinels)}`;
  }
}

const reconnectQuickly = (times: number): number => Math.min(times * 100, 1000);

/** A replica answers writes with READONLY: the master moved, so reconnect (Sentinel finds the new one). */
const reconnectOnReadonly = (err: Error): boolean => err.message.startsWith('READONLY');

/**
 * A connection waiting for an answer that hears nothing for this long is dropped and made
 * again. Without it a socket gone silent (a host vanished, a NAT forgot the connection: no
 * reset, no error) holds its client for good: commands time out one after another on it and
 * ioredis never reconnects. Far above any answer Pacproxy waits for (BullMQ's idle wait blocks
 * 0.25 s; a script call takes milliseconds).
 */
export const REDIS_SOCKET_TIMEOUT_MS = 5000;

export function redisOptions(use: RedisUse, connectionName: string): RedisOptions {
  const common: RedisOptions = {
    connectionName,
    connectTimeout: 2000,
    socketTimeout: REDIS_SOCKET_TIMEOUT_MS,
    retryStrategy: reconnectQuickly,
    reconnectOnError: reconnectOnReadonly,
  };
  if (use === 'worker') return { ...common, maxRetriesPerRequest: null };
  return { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 5000 };
}

/** A connection to the target (a URL: one node) with the given per-node options; no logging. */
export function connectRedis(to: RedisTarget | string, options: RedisOptions): RedisClient {
  const target: RedisTarget = typeof to === 'string' ? { shape: 'node', url: to } : to;
  const auth = target.password === undefined ? {} : { password: target.password };
  switch (target.shape) {
    case 'node':
      return new Redis(target.url, { ...options, ...auth });
    case 'sentinel':
      return new Redis({
        ...options,
        ...auth,
        sentinels: target.sentinels,
        name: target.master,
        sentinelRetryStrategy: reconnectQuickly,
        // no failoverDetector: it left connections closed for good after a failover in our tests;
        // a promoted replica drops its clients anyway, and READONLY reconnects (above)
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      });
    case 'cluster':
      return new Cluster(target.nodes satisfies ClusterNode[], {
        redisOptions: { ...options, ...auth, ...(target.tls ? { tls: {} } : {}) },
        enableOfflineQueue: options.enableOfflineQueue ?? true,
        enableAutoPipelining: options.enableAutoPipelining ?? false,
        clusterRetryStrategy: reconnectQuickly,
        // a master just died: try its slots again soon, by then maybe on the promoted replica
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        retryDelayOnTryAgain: 200,
        slotsRefreshTimeout: 2000,
        slotsRefreshInterval: 2000,
        scaleReads: 'master',
      });
  }
}

/** A connection that logs the first error of an outage and the recovery, not every retry. */
export function createRedis(
  target: RedisTarget | string,
  use: RedisUse,
  connectionName: string,
  logger: Logger,
): RedisClient {
  const redis = connectRedis(target, redisOptions(use, connectionName));
  let failing = false;
  redis.on('error', (err: Error) => {
    if (!failing) logger.warn({ err, connection: connectionName }, 'Redis connection failing');
    failing = true;
  });
  redis.on('ready', () => {
    if (failing) logger.info({ connection: connectionName }, 'Redis connection back');
    failing = false;
  });
  return redis;
}

/** A second connection like `client`, under its own name (its own socket, its own pipeline). */
export function duplicateRedis(
  client: RedisClient,
  connectionName: string,
  overrides: RedisOptions = {},
): RedisClient {
  if (client instanceof Cluster) {
    const nodeOptions = { ...client.options.redisOptions, ...overrides, connectionName };
    return client.duplicate([], {
      redisOptions: nodeOptions,
      enableAutoPipelining: overrides.enableAutoPipelining ?? client.options.enableAutoPipelining,
    });
  }
  return client.duplicate({ ...overrides, connectionName });
}

/**
 * Redis answers that mean the topology, not the network, refuses a command: a node that does
 * not own the key's slot (a single-node client pointed at a Cluster), keys of one call in
 * several slots, a replica taking writes (a master that failed over), a cluster without a
 * master for the slot. An outage (connection refused, timeout) is not one: the outbox covers it.
 */
export type RedisTopologyFault = 'MOVED' | 'ASK' | 'CROSSSLOT' | 'READONLY' | 'CLUSTERDOWN' | 'MASTERDOWN';

/** What a topology fault most likely means, for the operator reading /readyz. */
export const FAULT_HINTS: Record<RedisTopologyFault, string> = {
  MOVED: 'REDIS_URL names one node of a Redis Cluster: set REDIS_CLUSTER_NODES instead',
  ASK: 'REDIS_URL names one node of a Redis Cluster: set REDIS_CLUSTER_NODES instead',
  CROSSSLOT: 'a command spans several hash slots of the Redis Cluster',
  READONLY:
    'the Redis node is a replica (its master failed over): use REDIS_SENTINELS or REDIS_CLUSTER_NODES',
  CLUSTERDOWN: 'the Redis Cluster has no master for some slots (failing over, or down)',
  MASTERDOWN: 'the Redis replica lost its master',
};

const FAULT_WORD = /\b(MOVED|ASK|CROSSSLOT|READONLY|CLUSTERDOWN|MASTERDOWN)\b/;

/** The topology fault a Redis error reports (also inside a script's error), or null. */
export function topologyFaultOf(err: unknown): RedisTopologyFault | null {
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes('non local key')) return 'CROSSSLOT'; // a script reached into another slot
  const match = FAULT_WORD.exec(message);
  return match ? (match[1] as RedisTopologyFault) : null;
}
