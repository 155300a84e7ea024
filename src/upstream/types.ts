/** A pack request as the proxy read it: the raw bytes (forwarded as they are) and their parse. */
export interface PackRequest {
  raw: Buffer;
  json: Record<string, unknown>;
  /** the client's Authorization header, forwarded unchanged */
  authorization: string | undefined;
  /** the API key inside it (see apiKeyOf); never log it */
  apiKey: string | undefined;
}

/**
 * Paccurate's answer: a 2xx carrying a JSON object, or an error status (4xx/5xx) whose body may
 * or may not be JSON. Anything else is an UpstreamError instead.
 */
export interface UpstreamAnswer {
  status: number;
  contentType: string;
  body: Buffer;
  /** the body parsed; undefined for an error status whose body is not JSON */
  json: unknown;
  /** round trip in nanoseconds (for a cache hit: the cache lookup) */
  latencyNs: number;
  /** ISO 8601, when the request was forwarded */
  timeStamp: string;
  /** how the request cache treated the request: `hit` (answered from it, not by Paccurate), `miss`, `off` */
  cache: CacheResult;
}

/** How the request cache treated a request: answered it, missed it, or did not apply (off, random). */
export type CacheResult = 'hit' | 'miss' | 'off';

/** Where the pack flow gets its answers: the Paccurate client, or a cache in front of it. */
export interface Upstream {
  /** Resolves with an answer or rejects with an UpstreamError. */
  pack(request: PackRequest): Promise<UpstreamAnswer>;
  close(): Promise<void>;
}
