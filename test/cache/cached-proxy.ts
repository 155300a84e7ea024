import type { Express } from 'express';
import { Writable } from 'node:stream';
import { CachingUpstream } from '../../src/cache/caching-upstream';
import { RequestCache } from '../../src/cache/request-cache';
import { testConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { Metrics } from '../../src/metrics/metrics';
import { MemorySink } from '../../src/queue/sink';
import type { PackEvent } from '../../src/stats/types';
import { PaccurateClient } from '../../src/upstream/paccurate-client';

export interface CachedProxyOptions {
  paccurateUrl: string;
  redisUrl: string;
  ttlSeconds?: number;
  maxBytes?: number;
}

/** The real app with the request cache in front of a real Paccurate client, events in memory. */
export class CachedProxy {
  readonly metrics = new Metrics();
  readonly sink = new MemorySink();
  readonly logLines: string[] = [];
  readonly cache: RequestCache;
  readonly app: Express;
  private readonly upstream: CachingUpstream;

  constructor(options: CachedProxyOptions) {
    const logger = createLogger(
      'info',
      new Writable({
        write: (chunk, _enc, done) => {
          this.logLines.push(String(chunk));
          done();
        },
      }),
    );
    const config = testConfig({
      PACCURATE_URL: options.paccurateUrl,
      REDIS_URL: options.redisUrl,
      CACHE_TTL_SECONDS: options.ttlSeconds ?? 60,
      CACHE_MAX_BYTES: options.maxBytes ?? 1_048_576,
    });
    this.cache = new RequestCache({
      redis: options.redisUrl,
      ttlSeconds: config.CACHE_TTL_SECONDS,
      maxBytes: config.CACHE_MAX_BYTES,
      logger,
      metrics: this.metrics,
    });
    this.upstream = new CachingUpstream(
      new PaccurateClient({ url: config.PACCURATE_URL, timeoutMs: 5000 }),
      this.cache,
    );
    this.app = createApp({ config, logger, sink: this.sink, upstream: this.upstream, metrics: this.metrics });
  }

  static async start(options: CachedProxyOptions): Promise<CachedProxy> {
    const proxy = new CachedProxy(options);
    await proxy.cache.start();
    return proxy;
  }

  events(): PackEvent[] {
    return this.sink.events.filter((e): e is PackEvent => e.kind === 'pack');
  }

  close(): Promise<void> {
    return this.upstream.close();
  }
}
