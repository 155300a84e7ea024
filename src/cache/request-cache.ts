import { Redis } from 'ioredis';
import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/metrics';
import { decodeEntry, echoesLabels, encodeEntry, relabel, type CachedAnswer } from './cache-entry';
import { labelsOf, requestCacheKey } from './cache-key';

export type { CachedAnswer };

export interface RequestCacheOptions {
  redisUrl: string;
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
  private readonly redis: Redis | null;
  private readonly ttlSeconds: number;
  private readonly maxBytes: number;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  /** set while Redis fails, so an outage is logged once rather than per request */
  private failing = false;

  constructor(options: RequestCacheOptions) {
    this.ttlSeconds = options.ttlSeconds;
    this.maxBytes = options.maxBytes;
    this.logger = options.logger;
    this.metrics = options.metrics;
    // Its own connection: no offline queue and a short command timeout, so a Redis outage
    // costs the hot path at most `commandTimeoutMs` instead of stalling it.
    this.redis =
      this.ttlSeconds > 0
        ? new Redis(options.redisUrl, {
            enableOfflineQueue: false,
            commandTimeout: options.commandTimeoutMs ?? 250,
            maxRetriesPerRequest: 0,
            connectionName: 'pacproxy-cache',
          })
        : null;
    this.redis?.on('error', (err) => this.failed('connection', err));
    this.redis?.on('ready', () => this.recovered());
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
   * or an entry that does not decode (then it is also deleted).
   */
  async get(key: string, request: Record<string, unknown>): Promise<CachedAnswer | null> {
    if (!this.redis) return null;
    let raw: Buffer | null;
    try {
      raw = await this.redis.getBuffer(key);
    } catch (err) {
      this.failed('get', err);
      this.metrics.cacheLookups.inc({ result: 'error' });
      return null;
    }
    this.recovered();
    if (raw === null) {
      this.metrics.cacheLookups.inc({ result: 'miss' });
      return null;
    }
    try {
      const { answer, echoesLabels } = decodeEntry(raw);
      if (echoesLabels) answer.body = relabel(answer.body, labelsOf(request));
      this.metrics.cacheLookups.inc({ result: 'hit' });
      return answer;
    } catch (err) {
      this.logger.warn({ err, key }, 'corrupt request cache entry: deleted, answering from Paccurate');
      this.metrics.cacheLookups.inc({ result: 'error' });
      this.redis.del(key).catch((e) => this.failed('del', e));
      return null;
    }
  }

  /**
   * Stores `answer` under `key` when it is worth reusing: a 2xx with a `usedKeyStem` (so a hit
   * is attributed like the original) and no bigger than the cap. Never waits, never throws.
   */
  set(key: string, answer: CachedAnswer, parsedAnswer: unknown): void {
    if (!this.redis || answer.status < 200 || answer.status > 299) return;
    if (answer.body.length > this.maxBytes || !hasKeyStem(parsedAnswer)) return;
    this.redis
      .set(key, encodeEntry(answer, echoesLabels(parsedAnswer)), 'EX', this.ttlSeconds)
      .catch((err) => this.failed('set', err));
  }

  async close(): Promise<void> {
    if (!this.redis) return;
    this.redis.removeAllListeners('ready');
    this.redis.disconnect();
  }

  private failed(op: string, err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.logger.warn({ err, op }, 'request cache unavailable: answering from Paccurate until it is back');
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info('request cache available again');
  }
}

function hasKeyStem(parsedAnswer: unknown): boolean {
  const stem = (parsedAnswer as { usedKeyStem?: unknown } | null)?.usedKeyStem;
  return typeof stem === 'string' && stem !== '';
}
