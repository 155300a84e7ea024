import fc from 'fast-check';
import { compiledCheck } from '../../src/stats/compiled-check';
import { MAX_AMOUNT, MAX_COUNT, packStatsSchema } from '../../src/stats/schema';
import { packStats } from '../helpers/stats-events';

/**
 * The compiled check is a fast path beside zod, so it must never accept what zod would refuse or
 * change: it accepts a value exactly when zod accepts it and answers it unchanged.
 */

const check = compiledCheck(packStatsSchema);

/** JSON with sorted keys: what a value says, whatever its keys' order or its objects' prototypes. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

function zodKeepsAsIs(value: unknown): boolean {
  const parsed = packStatsSchema.safeParse(value);
  return parsed.success && canonical(parsed.data) === canonical(value);
}

/** Values near every bound of the schema, and of every JSON type. */
const edgeValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(0, -0, -1, 1.5, MAX_COUNT, MAX_COUNT + 1, MAX_AMOUNT, MAX_AMOUNT * 2, 2 ** 53),
  fc.constantFrom('', 'a', '200', '2000', 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(201)),
  fc.constantFrom(null, true, {}, [], { volumeUtilizationSum: 1, volumeUtilizationCount: 1, totalCost: 1 }),
);
const key = fc.oneof(
  fc.constantFrom(...Object.keys(packStats())),
  fc.string().filter((k) => k !== '__proto__'),
);

/** A valid answer's stats with a few fields (or map entries) removed or set to edge values. */
const mutatedStats = fc
  .array(
    fc.record({
      where: fc.constantFrom('stats', 'boxTypes', 'boxTypeStats', 'boxTypeStats.entry'),
      key,
      value: fc.option(edgeValue, { nil: undefined }),
    }),
    { maxLength: 3 },
  )
  .map((mutations) => {
    const stats: Record<string, unknown> = structuredClone(packStats());
    for (const { where, key: k, value } of mutations) {
      const target = (
        where === 'stats'
          ? stats
          : where === 'boxTypeStats.entry'
            ? (Object.values(stats.boxTypeStats ?? {})[0] ?? {})
            : (stats[where] ?? {})
      ) as Record<string, unknown>;
      if (typeof target !== 'object' || target === null) continue;
      if (value === undefined) delete target[k];
      else target[k] = value;
    }
    return stats;
  });

describe('compiled check (the fast path beside zod)', () => {
  it('accepts the stats of a valid answer', () => {
    expect(check(packStats())).toBe(true);
  });

  it('accepts exactly what zod accepts and answers unchanged', () => {
    fc.assert(
      fc.property(mutatedStats, (stats) => check(stats) === zodKeepsAsIs(stats)),
      { numRuns: 2000 },
    );
  });

  it('leaves to zod the older shapes it completes: a value missing a defaulted field', () => {
    const { warnings: _omitted, ...older } = packStats();
    expect(packStatsSchema.safeParse(older).success).toBe(true);
    expect(check(older)).toBe(false);
  });

  it('refuses numbers JSON cannot carry', () => {
    expect(check({ ...packStats(), totalVolume: NaN })).toBe(false);
    expect(check({ ...packStats(), latency: Infinity })).toBe(false);
  });
});
