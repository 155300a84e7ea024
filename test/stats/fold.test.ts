import {
  admit,
  carriedPacking,
  emptyTotals,
  foldBatch,
  measuredRoundTrip,
  ranksAbove,
  sumBy,
} from '../../src/stats/fold';
import { sanitizeKey } from '../../src/stats/keys';
import { packEvent, packStats, resetEvent } from '../helpers/stats-events';

describe('sanitizeKey', () => {
  it('replaces dots, a leading dollar, NUL, the empty name and __proto__', () => {
    expect(sanitizeKey('a.b.c')).toBe('a\uFF0Eb\uFF0Ec');
    expect(sanitizeKey('$x')).toBe('\uFF04x');
    expect(sanitizeKey('x$')).toBe('x$');
    expect(sanitizeKey('a\0b')).toBe('a\uFFFDb');
    expect(sanitizeKey('')).toBe('\u2205');
    expect(sanitizeKey('__proto__')).not.toBe('__proto__');
    expect(sanitizeKey('200')).toBe('200');
  });
});

describe('carriedPacking / ranksAbove', () => {
  it('counts only 2xx answers that arrived', () => {
    expect(carriedPacking(packStats({ statusCode: '200' }))).toBe(true);
    expect(carriedPacking(packStats({ statusCode: '204' }))).toBe(true);
    expect(carriedPacking(packStats({ statusCode: '422', errorResponse: true }))).toBe(false);
    expect(carriedPacking(packStats({ statusCode: '0', requestError: true }))).toBe(false);
    // a 200 whose body was not Paccurate's JSON (an HTML page) is an error response, not a packing
    expect(carriedPacking(packStats({ statusCode: '200', errorResponse: true }))).toBe(false);
  });

  it('measures latency only for round trips to Paccurate', () => {
    expect(measuredRoundTrip(packStats({ latency: 5 }))).toBe(true);
    expect(measuredRoundTrip(packStats({ latency: 5, cacheHit: true }))).toBe(false);
    // refused before forwarding (400/413/415/422): recorded with latency 0, kept out of avgLatency
    expect(measuredRoundTrip(packStats({ latency: 0, statusCode: '0', requestError: true }))).toBe(false);
  });

  it('orders by latency, then by timestamp', () => {
    expect(ranksAbove({ latency: 2, timeStamp: 'a' }, { latency: 1, timeStamp: 'z' })).toBe(true);
    expect(ranksAbove({ latency: 2, timeStamp: 'b' }, { latency: 2, timeStamp: 'a' })).toBe(true);
    expect(ranksAbove({ latency: 2, timeStamp: 'a' }, { latency: 2, timeStamp: 'a' })).toBe(false);
  });
});

describe('sumBy', () => {
  it('sums packings, errors, cache hits and latencies as the design says', () => {
    const events = [
      packEvent('k', 1, {
        totalItems: 4,
        totalVolume: 10,
        volumeUtilization: 0.25,
        latency: 100,
        timeStamp: 't1',
      }),
      packEvent('k', 2, {
        totalItems: 6,
        totalVolume: 30,
        volumeUtilization: 0.5,
        boxTypes: { '0': 2, 'a.b': 1 },
      }),
      packEvent('k', 3, { cacheHit: true, latency: 5_000, totalItems: 1, totalVolume: 1 }),
      packEvent('k', 4, { statusCode: '500', errorResponse: true, latency: 900, timeStamp: 't4' }),
      packEvent('k', 5, { statusCode: '0', requestError: true, latency: 300, totalItems: 0 }),
    ];
    const t = sumBy(events, (e) => e.keystem).get('k');
    expect(t).toEqual({
      ...emptyTotals(),
      totalItems: 4 + 6 + 1,
      totalVolume: 10 + 30 + 1,
      packs: 3,
      sumVolumeUtilization: 0.25 + 0.5 + 0.5,
      totalRequests: 5,
      statusCodes: { '200': 3, '500': 1, '0': 1 },
      boxTypes: { '0': 1 + 2 + 1, 'a\uFF0Eb': 1 },
      requestErrorCount: 1,
      errorResponseCount: 1,
      cacheHits: 1,
      latencySum: 100 + 1_000_000 + 900 + 300,
      latencyCount: 4,
      maxLatency: { latency: 1_000_000, timeStamp: packStats().timeStamp },
      // the three packings' cost and quality (the helper's defaults); errors add nothing
      totalCost: 3 * 240,
      costedPacks: 3,
      totalBoxes: 3,
      totalWeight: 3 * 2,
      packTimeSum: 0.0007 + 0.0007 + 0.0007,
      packTimeCount: 3,
      choiceGoals: { 'lowest-cost': 3 },
      boxTypeUtilizationSum: { '0': 1.5 },
      boxTypeUtilizationCount: { '0': 3 },
      boxTypeCost: { '0': 720 },
    });
  });

  it('groups by any key, and keeps inherited names out of the maps', () => {
    const events = [
      packEvent('k', 1, { boxTypes: { toString: 2, constructor: 1 } }),
      packEvent('k', 3_600_001, { boxTypes: { toString: 1 } }),
    ];
    const byHour = sumBy(events, (e) => `${e.keystem}@${Math.floor(e.at / 3_600_000)}`);
    expect([...byHour.keys()]).toEqual(['k@0', 'k@1']);
    expect(byHour.get('k@0')?.boxTypes).toEqual({ toString: 2, constructor: 1 });
    expect(byHour.get('k@1')?.boxTypes).toEqual({ toString: 1 });
  });

  it('on equal latencies keeps the later timestamp, as $max does', () => {
    const t = sumBy(
      [
        packEvent('k', 1, { latency: 7, timeStamp: '2025-01-02' }),
        packEvent('k', 2, { latency: 7, timeStamp: '2025-01-01' }),
      ],
      (e) => e.keystem,
    ).get('k');
    expect(t?.maxLatency).toEqual({ latency: 7, timeStamp: '2025-01-02' });
  });
});

describe('admit / foldBatch', () => {
  it('adds per keystem when there is no reset', () => {
    const fold = foldBatch([packEvent('a', 10), packEvent('b', 11), packEvent('a', 12)], new Map());
    expect(fold.applied).toBe(3);
    expect(fold.stale).toBe(0);
    expect(fold.updates.get('a')).toEqual({ delta: expect.objectContaining({ totalRequests: 2 }) });
    expect(fold.updates.get('a')?.reset).toBeUndefined();
    expect(fold.updates.get('b')?.delta.totalRequests).toBe(1);
  });

  it('drops pack events older than the stored reset', () => {
    const fold = foldBatch(
      [packEvent('a', 99), packEvent('a', 100), packEvent('b', 1)],
      new Map([['a', 100]]),
    );
    expect(fold.stale).toBe(1);
    expect(fold.applied).toBe(2);
    expect(fold.updates.get('a')?.delta.totalRequests).toBe(1);
    expect(fold.updates.get('b')?.delta.totalRequests).toBe(1);
  });

  it('lets a reset in the batch forget what was accepted before it and keep what came after', () => {
    const events = [
      packEvent('a', 10),
      packEvent('a', 30),
      resetEvent('a', 20),
      packEvent('a', 25),
      packEvent('a', 15),
    ];
    const fold = foldBatch(events, new Map([['a', 5]]));
    expect(fold.updates.get('a')?.reset).toBe(20);
    expect(fold.updates.get('a')?.delta.totalRequests).toBe(2);
    expect(fold.stale).toBe(2);
    expect(fold.applied).toBe(3);
  });

  it('keeps the latest of several resets and drops resets older than the stored one', () => {
    const events = [resetEvent('a', 50), resetEvent('a', 40), resetEvent('b', 7), packEvent('a', 45)];
    const { resets, fresh, applied, stale } = admit(events, new Map([['b', 8]]));
    expect(resets).toEqual(new Map([['a', 50]]));
    expect(fresh).toEqual([]);
    expect(applied).toBe(2);
    expect(stale).toBe(2);
    const fold = foldBatch(events, new Map([['b', 8]]));
    expect(fold.updates.get('a')).toEqual({ reset: 50, delta: emptyTotals() });
    expect(fold.updates.has('b')).toBe(false);
  });

  it('counts an event stamped at the very millisecond of the reset', () => {
    const fold = foldBatch([resetEvent('a', 20), packEvent('a', 20)], new Map());
    expect(fold.updates.get('a')?.delta.totalRequests).toBe(1);
  });
});
