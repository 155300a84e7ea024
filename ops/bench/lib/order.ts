/**
 * The pack request benches send: a mid-sized order (34 items of 3 kinds, 3 box types), so the
 * simulator packs several boxes and, with images on, answers with an SVG figure per box.
 */
export const BENCH_API_KEY = 'benchkey0123456789';
/** what Paccurate (and the simulator) echo back as usedKeyStem for BENCH_API_KEY */
export const BENCH_KEYSTEM = BENCH_API_KEY.slice(0, 10);

export const BENCH_HEADERS = { authorization: `apikey ${BENCH_API_KEY}` };

/**
 * API keys the proxy benches rotate over, request by request, so the traffic spreads over
 * keystems and shards as a fleet of facilities would (each key's stem is its own keystem).
 */
export const BENCH_API_KEYS = Array.from(
  { length: 64 },
  (_, i) => `k${String(i).padStart(3, '0')}-benchkey-0123`,
);

export const BENCH_ORDER = JSON.stringify({
  requestId: 'bench',
  orderId: 'bench-order',
  itemSets: [
    { refId: 0, weight: 2, dimensions: { x: 5, y: 6, z: 4 }, quantity: 12 },
    { refId: 1, weight: 1, dimensions: { x: 3, y: 3, z: 3 }, quantity: 16 },
    { refId: 2, weight: 4, dimensions: { x: 10, y: 4, z: 4 }, quantity: 6 },
  ],
  boxTypes: [
    { refId: 0, name: 'small', weightMax: 50, dimensions: { x: 8, y: 8, z: 8 } },
    { refId: 1, name: 'medium', weightMax: 80, dimensions: { x: 12, y: 10, z: 8 } },
    { refId: 2, name: 'large', weightMax: 150, dimensions: { x: 16, y: 12, z: 12 } },
  ],
});
