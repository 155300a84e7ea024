import fc from 'fast-check';
import { failedStats, packedStats } from '../../src/stats/request-stats';
import {
  fitsPackStats,
  MAX_AMOUNT,
  MAX_COUNT,
  packStatsIssues,
  packStatsSchema,
} from '../../src/stats/schema';
import fixtureAnswer from '../fixtures/paccurate-pack-response.json';
import { packStats } from '../helpers/stats-events';

/**
 * The proxy checks the stats it records by hand (fitsPackStats) and asks the schema only when
 * that says no: the hand check must never pass what the schema refuses, and must pass the stats
 * the proxy makes, or it saves nothing.
 */
const number = fc.oneof(
  fc.integer({ min: -2, max: 5 }),
  fc.double(),
  fc.constantFrom(0, -0, 0.5, MAX_COUNT, MAX_COUNT + 1, MAX_AMOUNT, MAX_AMOUNT * 2, 2 ** 53, Infinity, NaN),
);
const value = fc.oneof(
  number,
  fc.constantFrom(null, undefined, true, '', '1', '200', 'x'.repeat(65), [], {}),
  fc.string({ maxLength: 3 }),
);
const text = fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom('', 'x'.repeat(64), 'x'.repeat(201)));
const record = (of: fc.Arbitrary<unknown>) =>
  fc.oneof(
    fc.dictionary(fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom('__proto__', 'constructor')), of, {
      maxKeys: 3,
    }),
    value,
  );
const sums = fc.oneof(
  fc.record({ volumeUtilizationSum: number, volumeUtilizationCount: number, totalCost: number }),
  value,
);

/** Each field's values, right and wrong. */
const fields = {
  usedKeystem: fc.oneof(text, value),
  totalItems: number,
  totalVolume: number,
  volumeUtilization: number,
  boxTypes: record(number),
  timeStamp: fc.oneof(text, value),
  cacheHit: value,
  requestError: fc.boolean(),
  errorResponse: fc.boolean(),
  statusCode: fc.oneof(fc.constantFrom('0', '200', '1000', '２００', '20a'), value),
  latency: number,
  totalCost: fc.oneof(number, fc.constant(null)),
  boxes: number,
  leftovers: number,
  totalWeight: number,
  packTime: fc.oneof(number, fc.constant(null)),
  boxTypeStats: record(sums),
  boxTypeChoiceGoalUsed: fc.oneof(text, fc.constant(null)),
  warnings: number,
};
const fieldNames = Object.keys(fields) as (keyof typeof fields)[];

/** Stats as the proxy makes them with up to three fields changed (set to another value, or missing). */
const statsLike = fc
  .tuple(fc.subarray(fieldNames, { maxLength: 3 }), fc.record(fields), fc.boolean())
  .map(([changed, values, drop]) => {
    const stats: Record<string, unknown> = { ...packStats() };
    for (const name of changed) {
      if (drop) delete stats[name];
      else stats[name] = values[name];
    }
    return stats;
  });

describe('the hand check of per-request stats', () => {
  it('never passes what the schema refuses, and gives its issues when it refuses', () => {
    fc.assert(
      fc.property(fc.oneof(statsLike, value), (stats) => {
        const checked = packStatsSchema.safeParse(stats);
        if (fitsPackStats(stats)) expect(checked.success).toBe(true);
        expect(packStatsIssues(stats as never) === null).toBe(checked.success);
      }),
      { numRuns: 2000 },
    );
  });

  it('passes the stats the proxy makes', () => {
    const exchange = {
      keystem: 'K',
      statusCode: '200',
      latency: 1234,
      timeStamp: '2025-03-25T05:47:23.483Z',
      cacheHit: false,
    };
    expect(fitsPackStats(packedStats(fixtureAnswer, exchange))).toBe(true);
    expect(fitsPackStats(failedStats(exchange, { requestError: true, errorResponse: false }))).toBe(true);
    expect(fitsPackStats(packStats({ boxTypes: { __proto__: 1 } as never }))).toBe(true);
  });

  it('says what is out of range', () => {
    expect(packStatsIssues(packStats({ totalItems: -1 }))).toMatch(/^totalItems: /);
    expect(packStatsIssues(packStats({ boxTypes: { a: 1.5 } }))).toMatch(/^boxTypes\.a: /);
  });
});
