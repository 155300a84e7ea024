import { UpstreamError } from '../upstream/errors';
import type { PackRequest, Upstream, UpstreamAnswer } from '../upstream/types';
import type { RequestCache } from './request-cache';

/**
 * The request cache in front of Paccurate, as an Upstream the pack flow uses like the client
 * itself. A hit answers without calling out; its latency is the lookup's and it is marked
 * `cache: 'hit'` (a stats `cacheHit`), which keeps it out of avgLatency. A miss asks Paccurate and stores what is worth
 * reusing. The cache failing only ever turns hits into misses. `close()` closes both.
 */
export class CachingUpstream implements Upstream {
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
      const latencyNs = Number(process.hrtime.bigint() - started);
      return { ...hit, latencyNs, timeStamp, cache: 'hit' };
    }
    let answer: UpstreamAnswer;
    try {
      answer = { ...(await this.paccurate.pack(request)), cache: 'miss' };
    } catch (err) {
      if (err instanceof UpstreamError) err.cache = 'miss';
      throw err;
    }
    this.cache.set(key, answer);
    return answer;
  }

  async close(): Promise<void> {
    await Promise.all([this.paccurate.close(), this.cache.close()]);
  }
}
