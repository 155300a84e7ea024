import { hash } from 'node:crypto';

/** Every request cache key starts with this, so operators can find (and flush) the cache. */
export const CACHE_KEY_PREFIX = 'pacproxy:cache:';

/** Fields that label a request for the client; they do not change Paccurate's packing. */
export const REQUEST_LABELS = ['requestId', 'orderId'] as const;

export type RequestLabels = Partial<Record<(typeof REQUEST_LABELS)[number], unknown>>;

/** sha256 in hex, one-shot (no Hash object per call: each cached request takes two). */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** The request's labels, to put into a cached answer that echoes them. */
export function labelsOf(body: Record<string, unknown>): RequestLabels {
  const labels: RequestLabels = {};
  for (const label of REQUEST_LABELS) if (label in body) labels[label] = body[label];
  return labels;
}

/**
 * The cache key of a pack request, or null when the request must not be cached (`random: true`
 * asks Paccurate for a different packing each time). The API key enters only as a hash, and the
 * labels not at all, so the same order sent again under new labels hits. The body is hashed as
 * sent (V8's own stringify, field order kept): sorting every object's keys first cost 3–12 times
 * as much, and seconds on a large body, for hits between clients that order fields differently.
 */
export function requestCacheKey(apiKey: string, body: Record<string, unknown>): string | null {
  if (body.random === true) return null;
  const { requestId: _requestId, orderId: _orderId, ...unlabelled } = body;
  return CACHE_KEY_PREFIX + sha256Hex(sha256Hex(apiKey) + JSON.stringify(unlabelled));
}
