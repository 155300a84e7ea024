/**
 * Where a keystem's events live in Redis. SHARDS is fixed for a deployment (like Kafka
 * partitions): a keystem always hashes to the same shard, so its events, its resets and its
 * lease stay together. Every key of a shard carries the hash tag `{pacproxy-sN}`, so a Redis
 * Cluster keeps a shard's queue, lease and epoch in one slot (BullMQ's Lua scripts need that).
 */

/** FNV-1a, 32 bit, over the UTF-8 bytes: stable across processes, machines and Node versions. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The Redis Cluster hash slot of a key (CRC16-XMODEM of its hash tag, or of the whole key, mod
 * 16384), as Redis computes it: which master holds a shard's keys.
 */
export function hashSlotOf(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** The shard (0 … shards-1) that holds a keystem's events. */
export function shardOf(keystem: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be ≥ 1, got ${shards}`);
  return fnv1a32(keystem) % shards;
}

/** BullMQ names and Redis keys of one shard. */
export interface ShardLayout {
  shard: number;
  /** BullMQ queue name: stats-N */
  queue: string;
  /** BullMQ key prefix: keys become `{pacproxy-sN}:stats-N:…` */
  prefix: string;
  /** lease key: value = owner id, expiry = lease */
  leaseKey: string;
  /** INCR'd on every acquisition, so each ownership period has its own number */
  epochKey: string;
}

export function shardLayout(shard: number): ShardLayout {
  const tag = `{pacproxy-s${shard}}`;
  return {
    shard,
    queue: `stats-${shard}`,
    prefix: tag,
    leaseKey: `${tag}:lease`,
    epochKey: `${tag}:lease-epoch`,
  };
}

export function allShards(shards: number): ShardLayout[] {
  return Array.from({ length: shards }, (_, i) => shardLayout(i));
}

/** Events no worker could read, kept with the reason (never dropped, never retried forever). */
export const DEAD_LETTER = { queue: 'stats-dead', prefix: '{pacproxy-dead}' } as const;

/** Sorted set of live worker ids scored by their last heartbeat (Redis time, ms). */
export const MEMBERS_KEY = '{pacproxy-members}:workers';
