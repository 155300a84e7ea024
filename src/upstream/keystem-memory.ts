import type { Logger } from '../log/logger';
import { OutageLog } from '../log/outage-log';
import { withTimeout } from '../util/with-timeout';
import { isKeystem } from '../stats/schema';
import { hashApiKey } from './api-key';

/** The part of a Redis client the memory uses (ioredis' `Redis` fits). */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  sadd(key: string, member: string): Promise<unknown>;
  sismember(key: string, member: string): Promise<number>;
}

export interface KeystemMemoryOptions {
  /** shared across proxies; null: this process's memory only */
  redis: KeyValueStore | null;
  logger: Logger;
  /** API keys remembered in process (least recently used go first); default 10,000 */
  maxEntries?: number;
  /** a Redis lookup slower than this reads as "not remembered"; default 250 ms */
  lookupTimeoutMs?: number;
}

export const UNKNOWN_KEYSTEM = 'unknown';
export const KEYSTEM_KEY_PREFIX = 'pacproxy:keystem:';
/** Every keystem an answer named, across proxies: what DELETE of a keystem "never seen" checks. */
export const SEEN_KEYSTEMS_KEY = 'pacproxy:keystems-seen';

/**
 * Which keystem an API key was last seen with, so a request whose answer carries no
 * `usedKeyStem` (an error, a timeout) is still counted for its facility. Keys enter Redis only
 * as sha256 hashes. Redis holds it across proxies and restarts, written only when it changes;
 * a bounded in-process map answers the common case. Redis trouble never fails a request: the
 * memory then falls back to the local map, else `unknown`.
 */
export class KeystemMemory {
  /**
   * API key → keystem. Keyed by the key itself (it lives in this process's memory anyway, with
   * the request) so the hot path does not hash; only the hash ever leaves the process.
   */
  private readonly local = new Map<string, string>();
  private readonly redis: KeyValueStore | null;
  private readonly maxEntries: number;
  private readonly lookupTimeoutMs: number;
  /** a Redis outage is logged once, not per request */
  private readonly outage: OutageLog;

  constructor(options: KeystemMemoryOptions) {
    this.redis = options.redis;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? 250;
    this.outage = new OutageLog(options.logger, {
      down: 'keystem memory: Redis unavailable, using local memory',
      up: 'keystem memory: Redis available again',
    });
  }

  /** Notes `keystem` as the one last seen for `apiKey`. Never waits, never throws. */
  remember(apiKey: string | undefined, keystem: string): void {
    if (apiKey === undefined) return;
    const changed = this.local.get(apiKey) !== keystem;
    this.keep(apiKey, keystem);
    if (!changed || !this.redis) return;
    Promise.all([
      this.redis.set(KEYSTEM_KEY_PREFIX + hashApiKey(apiKey), keystem),
      this.redis.sadd(SEEN_KEYSTEMS_KEY, keystem),
    ]).then(
      () => this.outage.recovered(),
      (err: unknown) => this.outage.failed(err, { op: 'set' }),
    );
  }

  /**
   * Whether any answer named `keystem` (here, or at any proxy sharing the Redis). When Redis does
   * not answer: true, since "never seen" must not be claimed without knowing.
   */
  async seen(keystem: string): Promise<boolean> {
    for (const known of this.local.values()) if (known === keystem) return true;
    if (!this.redis) return false;
    try {
      const member = await withTimeout(
        this.redis.sismember(SEEN_KEYSTEMS_KEY, keystem),
        this.lookupTimeoutMs,
        'seen keystems',
      );
      return member === 1;
    } catch (err) {
      this.outage.failed(err, { op: 'sismember' });
      return true;
    }
  }

  /** The keystem last seen for `apiKey`: this process's memory, then Redis, else `unknown`. Never throws. */
  async recall(apiKey: string | undefined): Promise<string> {
    if (apiKey === undefined) return UNKNOWN_KEYSTEM;
    const known = this.local.get(apiKey);
    if (known !== undefined) return known;
    if (!this.redis) return UNKNOWN_KEYSTEM;
    try {
      const stored = await withTimeout(
        this.redis.get(KEYSTEM_KEY_PREFIX + hashApiKey(apiKey)),
        this.lookupTimeoutMs,
        'keystem lookup',
      );
      this.outage.recovered();
      // an earlier version may have remembered a keystem the API cannot read or delete
      if (!isKeystem(stored)) return UNKNOWN_KEYSTEM;
      this.keep(apiKey, stored);
      return stored;
    } catch (err) {
      this.outage.failed(err, { op: 'get' });
      return UNKNOWN_KEYSTEM;
    }
  }

  /** Sets and marks as most recently used; forgets the least recently used beyond the bound. */
  private keep(apiKey: string, keystem: string): void {
    this.local.delete(apiKey);
    this.local.set(apiKey, keystem);
    if (this.local.size > this.maxEntries) {
      const oldest = this.local.keys().next().value;
      if (oldest !== undefined) this.local.delete(oldest);
    }
  }
}
