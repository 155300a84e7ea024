import type { CacheResult, PackRequest, Upstream, UpstreamAnswer } from '../upstream/types';
import type { RequestCache } from './request-cache';

/**
 * The request cache in front of Paccurate, as an Upstream the pack flow uses like the client
 * itself. A hit answers without calling out; its latency is the lookup's and it is marked
 * `cacheHit`, which keeps it out of avgLatency. A miss asks Paccurate and stores what is worth
 * reusing. The cache failing only ever turns hits into misses. `close()` closes both.
 */
export class CachingUpstream implements Upstream {
  /** how the cache treated each request in flight (read by the flow for its metrics) */
  private readonly results = new WeakMap<PackRequest, CacheResult>();

  constructor(
    private readonly paccurate: Upstream,
    private readonly cache: RequestCache,
  ) {}

  async pack(request: PackRequest): Promise<UpstreamAnswer> {
    const key = this.cache.keyFor(request.apiKey ?? '', request.json);
    if (key === null) return this.paccurate.pack(request);

    const timeStamp = new Date().toISOString();
    const started = process.hrtime.bigint();
    const hit = await this.cache.get(key, request.json);
    if (hit) {
      this.results.set(request, 'hit');
      const latencyNs = Number(process.hrtime.bigint() - started);
      return { ...hit, latencyNs, timeStamp, cacheHit: true };
    }
    this.results.set(request, 'miss');
    const answer = await this.paccurate.pack(request);
    this.cache.set(key, answer);
    return answer;
  }

  cacheResultOf(request: PackRequest): CacheResult {
    return this.results.get(request) ?? 'off';
  }

  async close(): Promise<void> {
    await Promise.all([this.paccurate.close(), this.cache.close()]);
  }
}
