import { sanitizeKey } from '../../src/stats/keys';
import { boxTypesOf, errorReasonOf, OTHER_BOX_TYPES, usedKeyStemOf } from '../../src/stats/paccurate';
import { failedStats, packedStats, type Exchange } from '../../src/stats/request-stats';
import fixtureAnswer from '../fixtures/paccurate-pack-response.json';
import { packStats } from '../helpers/stats-events';

const exchange: Exchange = {
  keystem: 'K',
  statusCode: '200',
  latency: 1234,
  timeStamp: '2025-03-25T05:47:23.483Z',
  cacheHit: false,
};

const boxOf = (refId: unknown) => ({ box: { boxType: { refId } } });

describe('per-request stats from a Paccurate answer', () => {
  it('maps the fixture answer to the seed fields', () => {
    const keystem = usedKeyStemOf(fixtureAnswer);
    expect(keystem).toBe('6UZlPsHAqp');
    expect(packedStats(fixtureAnswer, { ...exchange, keystem: keystem ?? '' })).toEqual(
      packStats({
        usedKeystem: '6UZlPsHAqp',
        totalItems: 1,
        totalVolume: 240,
        volumeUtilization: 0.5,
        boxTypes: { '0': 1 },
        latency: 1234,
        totalCost: 240,
        boxes: 1,
        leftovers: 0,
        totalWeight: 2,
        packTime: 0.000700856,
        boxTypeStats: { '0': { volumeUtilizationSum: 0.5, volumeUtilizationCount: 1, totalCost: 240 } },
        boxTypeChoiceGoalUsed: 'lowest-cost',
        warnings: 0,
      }),
    );
  });

  it('counts boxes per box type over many boxes of several types', () => {
    const answer = {
      lenItems: 23,
      totalVolume: 17280,
      totalVolumeUtilization: 0.36996528,
      boxes: [boxOf(0), boxOf(2), boxOf(0), boxOf('XL'), boxOf(0), boxOf(2)],
    };
    expect(packedStats(answer, exchange)).toMatchObject({
      totalItems: 23,
      totalVolume: 17280,
      volumeUtilization: 0.36996528,
      boxTypes: { '0': 3, '2': 2, XL: 1 },
    });
  });

  it('never throws on odd answers and reads missing or odd fields as zero / absent', () => {
    const odd: unknown[] = [
      null,
      'text',
      42,
      [],
      {},
      { lenItems: 'many', totalVolume: NaN, totalVolumeUtilization: Infinity, boxes: 'none' },
      { boxes: [null, 3, { box: null }, { box: { boxType: { refId: { nested: 1 } } } }, boxOf(NaN)] },
    ];
    for (const answer of odd) {
      expect(packedStats(answer, exchange)).toMatchObject({
        totalItems: 0,
        totalVolume: 0,
        volumeUtilization: 0,
        boxTypes: {},
      });
      expect(usedKeyStemOf(answer)).toBeUndefined();
      expect(errorReasonOf(answer)).toBeUndefined();
    }
  });

  it('keeps a refId such as __proto__ under the name the stores count it as', () => {
    const { counts } = boxTypesOf({ boxes: [boxOf('__proto__'), boxOf('__proto__')] });
    expect(Object.getPrototypeOf(counts)).toBe(Object.prototype);
    expect(Object.entries(counts)).toEqual([[sanitizeKey('__proto__'), 2]]);
  });

  it('folds box types past the limits into one bucket that says so', () => {
    const boxes = [boxOf('a'), boxOf('b'), boxOf('c'), boxOf('a'), boxOf('x'.repeat(9)), boxOf('d')];
    expect(boxTypesOf({ boxes }, { maxBoxTypes: 2, maxRefIdLength: 8 }).counts).toEqual({
      a: 2,
      b: 1,
      [OTHER_BOX_TYPES]: 3,
    });
  });

  it('accepts only plausible keystems', () => {
    expect(usedKeyStemOf({ usedKeyStem: '' })).toBeUndefined();
    expect(usedKeyStemOf({ usedKeyStem: 'x'.repeat(65) })).toBeUndefined();
    expect(usedKeyStemOf({ usedKeyStem: 12 })).toBeUndefined();
    for (const odd of ['../x', 'a\r\nb', 'a b', 'all', 'é'])
      expect(usedKeyStemOf({ usedKeyStem: odd })).toBeUndefined();
    expect(usedKeyStemOf({ usedKeyStem: 'aqRAiz-8RA' })).toBe('aqRAiz-8RA');
  });

  it("reads the reason of Paccurate's error answers", () => {
    expect(errorReasonOf({ code: 400, message: 'EOF' })).toBe('EOF');
    expect(errorReasonOf({ error: 'bad key' })).toBe('bad key');
    expect(errorReasonOf({ message: 'x'.repeat(2000) })).toHaveLength(500);
  });

  it('gives the stats of a request that got no packing', () => {
    expect(
      failedStats({ ...exchange, statusCode: '0', latency: 0 }, { requestError: true, errorResponse: false }),
    ).toEqual(
      packStats({
        usedKeystem: 'K',
        totalItems: 0,
        totalVolume: 0,
        volumeUtilization: 0,
        boxTypes: {},
        requestError: true,
        statusCode: '0',
        latency: 0,
        totalCost: null,
        boxes: 0,
        leftovers: 0,
        totalWeight: 0,
        packTime: null,
        boxTypeStats: {},
        boxTypeChoiceGoalUsed: null,
        warnings: 0,
      }),
    );
    expect(
      failedStats({ ...exchange, statusCode: '503' }, { requestError: false, errorResponse: true }),
    ).toMatchObject({ requestError: false, errorResponse: true, statusCode: '503', latency: 1234 });
  });
});
