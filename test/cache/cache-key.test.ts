import fc from 'fast-check';
import { canonicalJson, CACHE_KEY_PREFIX, labelsOf, requestCacheKey } from '../../src/cache/cache-key';

/** The shape of Paccurate's published example request. */
const request: Record<string, unknown> = {
  requestId: 'req-0001',
  orderId: 'order-0001',
  itemSets: [{ refId: 0, weight: 2, dimensions: { x: 5, y: 6, z: 4 }, quantity: 1 }],
  boxTypes: [{ weightMax: 150, name: '5x6x8', dimensions: { x: 5, y: 6, z: 8 } }],
  includeScripts: false,
};

describe('canonicalJson', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('keeps the text of earlier versions, so cached answers stay found across an upgrade', () => {
    // the first version's definition, kept here as the reference
    const reference = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      if (value !== null && typeof value === 'object') {
        const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
      }
      return JSON.stringify(value);
    };
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed: unknown = JSON.parse(JSON.stringify(value));
        expect(canonicalJson(parsed)).toBe(reference(parsed));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('requestCacheKey', () => {
  const key = (apiKey: string, body: Record<string, unknown>) => requestCacheKey(apiKey, body);

  it('is a prefixed sha256 that does not contain the API key', () => {
    const k = key('apikey SECRET-KEY-123', request);
    expect(k).toMatch(new RegExp(`^${CACHE_KEY_PREFIX}[0-9a-f]{64}$`));
    expect(k).not.toContain('SECRET');
  });

  it('ignores key order and the requestId/orderId labels', () => {
    const reordered = Object.fromEntries(Object.entries(request).reverse());
    expect(key('k', reordered)).toBe(key('k', request));
    expect(key('k', { ...request, requestId: 'other', orderId: 'o-2' })).toBe(key('k', request));
    const { requestId: _r, orderId: _o, ...unlabelled } = request;
    expect(key('k', unlabelled)).toBe(key('k', request));
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
