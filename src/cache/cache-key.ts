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

/**
 * JSON with object keys sorted at every depth, so `{a,b}` and `{b,a}` give the same text.
 * Built by concatenation, without the arrays of entries a map/join would make: with the cache
 * on, every pack request goes through here.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  let text: string;
  if (Array.isArray(value)) {
    text = '[';
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${text}]`;
  }
  // sort() without a comparator orders by UTF-16 code units, as `<` on strings does
  const keys = Object.keys(value).sort();
  text = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    text += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`;
  }
  return `${text}}`;
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
 * labels not at all, so the same order sent again under new labels hits.
 */
export function requestCacheKey(apiKey: string, body: Record<string, unknown>): string | null {
  if (body.random === true) return null;
  const unlabelled = Object.fromEntries(
    Object.entries(body).filter(([k]) => !(REQUEST_LABELS as readonly string[]).includes(k)),
  );
  return CACHE_KEY_PREFIX + sha256Hex(sha256Hex(apiKey) + canonicalJson(unlabelled));
}
