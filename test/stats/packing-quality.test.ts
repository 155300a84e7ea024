import { sumBy } from '../../src/stats/fold';
import { keystemReport } from '../../src/stats/report';
import { packedStats, type Exchange } from '../../src/stats/request-stats';
import type { PackEvent } from '../../src/stats/types';
import { packEvent } from '../helpers/stats-events';

/** Cost and packing quality (issue 13): from Paccurate's answer, through the fold, to the report. */

const exchange: Exchange = {
  keystem: 'K',
  statusCode: '200',
  latency: 1000,
  timeStamp: '2026-01-01T00:00:00.000Z',
  cacheHit: false,
};

const box = (refId: unknown, fields: Record<string, unknown> = {}) => ({
  box: { boxType: { refId }, ...fields },
});

/** An answer's stats folded alone, as the stored sums and as the report reads them. */
function foldAnswers(answers: unknown[]) {
  const events: PackEvent[] = answers.map((answer, i) => ({
    ...packEvent('K', i + 1),
    stats: packedStats(answer, exchange),
  }));
  const totals = sumBy(events, (e) => e.keystem).get('K');
  if (!totals) throw new Error('nothing folded');
  return { totals, report: keystemReport({ ...totals, keystem: 'K', updatedAt: '' }) };
}

describe('cost and packing quality from answers', () => {
  it('sums every field over several boxes of several types', () => {
    const { report } = foldAnswers([
      {
        totalCost: 700,
        lenBoxes: 3,
        lenLeftovers: 2,
        totalWeight: 10.5,
        packTime: 0.5,
        boxTypeChoiceGoalUsed: 'lowest-cost',
        warnings: ['item 3 rotated'],
        boxes: [
          box('S', { volumeUtilization: 0.5, price: 100 }),
          box('S', { volumeUtilization: 0.25, price: 100 }),
          box('L', { volumeUtilization: 0.75, price: 500 }),
        ],
      },
      {
        totalCost: 300,
        lenBoxes: 1,
        lenLeftovers: 0,
        totalWeight: 1.5,
        packTime: 0.25,
        boxTypeChoiceGoalUsed: 'most-items',
        warnings: [],
        boxes: [box('M', { volumeUtilization: 1, price: 300 })],
      },
    ]);
    expect(report).toMatchObject({
      packs: 2,
      totalCost: 1000,
      costedPacks: 2,
      avgCostPerPack: 500,
      totalBoxes: 4,
      avgBoxesPerPack: 2,
      totalLeftovers: 2,
      packsWithLeftovers: 1,
      totalWeight: 12,
      avgPackTime: 0.375,
      boxTypeStats: {
        S: { count: 2, avgVolumeUtilization: 0.375, totalCost: 200 },
        L: { count: 1, avgVolumeUtilization: 0.75, totalCost: 500 },
        M: { count: 1, avgVolumeUtilization: 1, totalCost: 300 },
      },
      choiceGoals: { 'lowest-cost': 1, 'most-items': 1 },
      packsWithWarnings: 1,
    });
  });

  it('counts a missing field in nothing, not even its denominator', () => {
    const { report } = foldAnswers([
      { totalCost: 400, packTime: 0.5, lenBoxes: 1, boxes: [box('S', { volumeUtilization: 0.5 })] },
      { lenBoxes: 2, boxes: [box('S'), box('S', { price: 50 })] }, // an older engine: no cost, no times
    ]);
    expect(report).toMatchObject({
      packs: 2,
      totalCost: 400,
      costedPacks: 1,
      avgCostPerPack: 400,
      totalBoxes: 3,
      avgBoxesPerPack: 1.5,
      avgPackTime: 0.5,
      totalWeight: 0,
      choiceGoals: {},
      packsWithWarnings: 0,
      boxTypeStats: { S: { count: 3, avgVolumeUtilization: 0.5, totalCost: 50 } },
    });
  });

  it('has null averages when nothing carried their field', () => {
    const { report } = foldAnswers([{ boxes: [box('S')] }]);
    expect(report).toMatchObject({
      avgCostPerPack: null,
      avgPackTime: null,
      avgBoxesPerPack: 0,
      boxTypeStats: { S: { count: 1, avgVolumeUtilization: null, totalCost: 0 } },
    });
  });

  it('ignores values of the wrong type, never throwing', () => {
    const wrong: unknown[] = [
      {
        totalCost: '700',
        lenBoxes: 1.5,
        lenLeftovers: -1,
        totalWeight: Infinity,
        packTime: -0.1,
        boxTypeChoiceGoalUsed: 42,
        warnings: 'many',
        boxes: [box('S', { volumeUtilization: 'full', price: null })],
      },
      { totalCost: NaN, lenBoxes: '3', lenLeftovers: {}, totalWeight: [], packTime: {}, warnings: {} },
      { boxTypeChoiceGoalUsed: 'x'.repeat(65), totalCost: -5, boxes: {} },
    ];
    for (const answer of wrong) {
      expect(packedStats(answer, exchange)).toMatchObject({
        totalCost: null,
        boxes: 0,
        leftovers: 0,
        totalWeight: 0,
        packTime: null,
        boxTypeChoiceGoalUsed: null,
        warnings: 0,
      });
    }
    const { report } = foldAnswers(wrong);
    expect(report).toMatchObject({
      costedPacks: 0,
      avgCostPerPack: null,
      totalBoxes: 0,
      totalLeftovers: 0,
      packsWithLeftovers: 0,
      totalWeight: 0,
      avgPackTime: null,
      choiceGoals: {},
      packsWithWarnings: 0,
      boxTypeStats: { S: { count: 1, avgVolumeUtilization: null, totalCost: 0 } },
    });
  });

  it('keeps odd refIds and goal names as safe map keys', () => {
    const { totals } = foldAnswers([
      { boxTypeChoiceGoalUsed: 'a.b', boxes: [box('$x', { price: 5, volumeUtilization: 0.5 })] },
    ]);
    expect(totals.choiceGoals).toEqual({ 'a\uFF0Eb': 1 });
    expect(totals.boxTypeCost).toEqual({ '\uFF04x': 5 });
    expect(totals.boxTypeUtilizationCount).toEqual({ '\uFF04x': 1 });
  });

  it("reads a box's type from its own refId or from an unwrapped box, as the specification allows", () => {
    const { totals } = foldAnswers([
      {
        boxes: [
          { box: { refId: 'own', price: 5, volumeUtilization: 0.5 } },
          { boxType: { refId: 'flat' }, price: 7 },
          { box: { refId: 'ignored', boxType: { refId: 'typed' } } },
        ],
      },
    ]);
    expect(totals.boxTypes).toEqual({ own: 1, flat: 1, typed: 1 });
    expect(totals.boxTypeCost).toEqual({ own: 5, flat: 7, typed: 0 });
  });
});
