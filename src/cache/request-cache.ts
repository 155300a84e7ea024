import type { Logger } from '../log/logger';
import { OutageLog } from '../log/outage-log';
import type { Metrics } from '../metrics/metrics';
import { connectRedis, redisOptions, type RedisClient, type RedisTarget } from '../queue/redis';
import { usedKeyStemOf } from '../stats/paccurate';
import {
  CacheEntryError,
  decodeEntry,
  echoesLabels,
  encodeEntry,
  relabel,
  type StoredAnswer,
} from './cache-entry';
import { labelsOf, requestCacheKey } from './cache-key';

/** A Paccurate answer with its parse: what a hit hands back instead of calling out. */
export interface CachedAnswer extends StoredAnswer {
  json: unknown;
}

export interface RequestCacheOptions {
  /** the Redis (a URL: one node) */
  redis: RedisTarget | string;
  /** 0 turns the cache off: no connection, every lookup is "off" */
  ttlSeconds: number;
  /** answers with a bigger body are not stored */
  maxBytes: number;
  /** a Redis command slower than this counts as a failure (the pack request goes upstream) */
  commandTimeoutMs?: number;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Paccurate answers in Redis, keyed by the hashed API key and the request body without its
 * labels. The cache is an optimisation and never a reason to fail a pack request: a dead,
 * slow or corrupt cache reads as a miss, and writes are fire-and-forget.
 */
export class RequestCache {
  private readonly redis: RedisClient | null;
  private readonly ttlSeconds: number;
  private readonly maxBytes: number;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly outage: OutageLog;

  constructor(options: RequestCacheOptions) {
    this.ttlSeconds = options.ttlSeconds;
    this.maxBytes = options.maxBytes;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.outage = new OutageLog(options.logger, {
      down: 'request cache unavailable: answering from Paccurate until it is back',
      up: 'request cache available again',
    });
    // Its own fail-fast connection (no offline queue) with a shorter command timeout, so a
    // Redis outage or stall costs the hot path at most `commandTimeoutMs`.
    this.redis =
      this.ttlSeconds > 0
        ? connectRedis(options.redis, {
            ...redisOptions('fail-fast', 'pacproxy-cache'),
            commandTimeout: options.commandTimeoutMs ?? 250,
          })
        : null;
    this.redis?.on('error', (err) => this.outage.failed(err, { op: 'connection' }));
    this.redis?.on('ready', () => this.outage.recovered());
  }

  get enabled(): boolean {
    return this.redis !== null;
  }

  /** Resolves once connected (or after `timeoutMs`): lookups before that are misses. */
  async start(timeoutMs = 2000): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      redis.once('ready', done);
    });
  }

  /** The key for this request, or null when it is not cacheable (cache off, `random: true`). */
  keyFor(apiKey: string, body: Record<string, unknown>): string | null {
    return this.enabled ? requestCacheKey(apiKey, body) : null;
  }

  /**
   * The stored answer for `key`, carrying `request`'s labels, or null: not there, Redis failing,
   * or an entry that does not decode or parse (then it is also deleted).
   */
  async get(key: string, request: Record<string, unknown>): Promise<CachedAnswer | null> {
    if (!this.redis) return null;
    let raw: Buffer | null;
    try {
      raw = await this.redis.getBuffer(key);
    } catch (err) {
      this.outage.failed(err, { op: 'get' });
      this.metrics.cacheLookups.inc({ result: 'error' });
      return null;
    }
    this.outage.recovered();
    if (raw === null) {
      this.metrics.cacheLookups.inc({ result: 'miss' });
      return null;
    }
    try {
      const hit = parseEntry(raw, request);
      this.metrics.cacheLookups.inc({ result: 'hit' });
      return hit;
    } catch (err) {
      this.logger.warn({ err, key }, 'corrupt request cache entry: deleted, answering from Paccurate');
      this.metrics.cacheLookups.inc({ result: 'error' });
      this.redis.del(key).catch((e) => this.outage.failed(e, { op: 'del' }));
      return null;
    }
  }

  /**
   * Stores `answer` under `key` when it is worth reusing: a 2xx with a `usedKeyStem` (so a hit
   * is attributed like the original) and no bigger than the cap. Never waits, never throws.
   */
  set(key: string, answer: CachedAnswer): void {
    if (!this.redis || answer.status < 200 || answer.status > 299) return;
    if (answer.body.length > this.maxBytes || usedKeyStemOf(answer.json) === undefined) return;
    this.redis
      .set(key, encodeEntry(answer, echoesLabels(answer.json)), 'EX', this.ttlSeconds)
      .catch((err) => this.outage.failed(err, { op: 'set' }));
  }

  async close(): Promise<void> {
    if (!this.redis) return;
    this.redis.removeAllListeners('ready');
    this.redis.disconnect();
  }
}

/** Decodes a value and parses its body (a 2xx JSON object when stored); throws when it cannot. */
function parseEntry(raw: Buffer, request: Record<string, unknown>): CachedAnswer {
  const { answer, echoesLabels } = decodeEntry(raw);
  let json: unknown;
  try {
    json = JSON.parse(answer.body.toString('utf8'));
  } catch {
    throw new CacheEntryError('cache entry body is not JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CacheEntryError('cache entry body is not a JSON object');
  }
  if (!echoesLabels) return { ...answer, json };
  const relabelled = relabel(json as Record<string, unknown>, labelsOf(request));
  return { ...answer, body: Buffer.from(JSON.stringify(relabelled)), json: relabelled };
}
