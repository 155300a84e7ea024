import { CACHE_KEY_PREFIX, labelsOf, requestCacheKey } from '../../src/cache/cache-key';

/** The shape of Paccurate's published example request. */
const request: Record<string, unknown> = {
  requestId: 'req-0001',
  orderId: 'order-0001',
  itemSets: [{ refId: 0, weight: 2, dimensions: { x: 5, y: 6, z: 4 }, quantity: 1 }],
  boxTypes: [{ weightMax: 150, name: '5x6x8', dimensions: { x: 5, y: 6, z: 8 } }],
  includeScripts: false,
};

describe('requestCacheKey', () => {
  const key = (apiKey: string, body: Record<string, unknown>) => requestCacheKey(apiKey, body);

  it('is a prefixed sha256 that does not contain the API key', () => {
    const k = key('apikey SECRET-KEY-123', request);
    expect(k).toMatch(new RegExp(`^${CACHE_KEY_PREFIX}[0-9a-f]{64}$`));
    expect(k).not.toContain('SECRET');
  });

  it('ignores the requestId/orderId labels, wherever they stand', () => {
    expect(key('k', { ...request, requestId: 'other', orderId: 'o-2' })).toBe(key('k', request));
    const { requestId, orderId, ...rest } = request;
    expect(key('k', { ...rest, orderId, requestId })).toBe(key('k', request));
    const { requestId: _r, orderId: _o, ...unlabelled } = request;
    expect(key('k', unlabelled)).toBe(key('k', request));
  });

  it('hashes the body as sent: the same fields in another order are another request', () => {
    const reordered = Object.fromEntries(Object.entries(request).reverse());
    expect(key('k', reordered)).not.toBe(key('k', request));
  });

  it('differs for another API key or another body', () => {
    expect(key('k2', request)).not.toBe(key('k', request));
    expect(key('k', { ...request, includeScripts: true })).not.toBe(key('k', request));
  });

  it('is null for random requests only', () => {
    expect(key('k', { ...request, random: true })).toBeNull();
    expect(key('k', { ...request, random: false })).not.toBeNull();
  });
});

describe('labelsOf', () => {
  it('takes only the labels present', () => {
    expect(labelsOf({ requestId: 'r', itemSets: [] })).toEqual({ requestId: 'r' });
  });
});
