import { createHash } from 'node:crypto';

/**
 * The caller's Paccurate API key, from `Authorization: apikey KEY` (Paccurate's scheme). Any
 * other non-empty header value counts as the key as a whole, so different callers never share
 * a memory; without the header, the body's `key` (as older clients send it). The key itself
 * must never be logged or stored: use `hashApiKey`.
 */
export function apiKeyOf(
  authorization: string | undefined,
  body?: Record<string, unknown>,
): string | undefined {
  if (authorization !== undefined) {
    const match = /^\s*apikey\s+(\S+)\s*$/i.exec(authorization);
    const key = match ? match[1] : authorization.trim();
    if (key !== '' && key !== undefined) return key;
  }
  // older clients send the key in the body, which Paccurate still reads
  const bodyKey = body?.key;
  return typeof bodyKey === 'string' && bodyKey !== '' ? bodyKey : undefined;
}

/** sha256 hex of the key: what may go into Redis keys and logs instead of the key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
