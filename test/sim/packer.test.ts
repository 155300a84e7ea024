import {
  DEFAULT_BOX_TYPES,
  InvalidPackRequestError,
  MAX_UNITS,
  fitsInside,
  pack,
} from '../../ops/paccurate-sim/packer';
import fixtureRequest from '../fixtures/paccurate-pack-request.json';

type Box = {
  box: {
    boxType: { refId: unknown; name: string };
    items: { item: { refId: unknown } }[];
    lenItems: number;
    volumeMax: number;
    volumeUsed: number;
    volumeUtilization: number;
  };
};

const cube = (s: number) => ({ x: s, y: s, z: s });

describe('simulator packing heuristic', () => {
  it('prices boxes from the request, counts tare and leftovers, and echoes the choice goal', () => {
    const answer = pack(
      {
        boxTypeChoiceGoal: 'most-items',
        boxTypes: [
          { refId: 'S', dimensions: cube(4), price: 150, weightTare: 0.5, weightMax: 100 },
          { refId: 'L', dimensions: cube(10), price: 900, weightTare: 2, weightMax: 100 },
        ],
        itemSets: [
          { refId: 1, dimensions: cube(3), weight: 1, quantity: 1 },
          { refId: 2, dimensions: cube(8), weight: 5, quantity: 1 },
          { refId: 3, dimensions: cube(20), weight: 9, quantity: 2 }, // fits no box: leftovers
        ],
      },
      { images: false },
    ) as Record<string, unknown> & { boxes: { box: Record<string, unknown> }[] };
    expect(answer).toMatchObject({
      boxTypeChoiceGoalUsed: 'most-items',
      lenBoxes: 1,
      lenLeftovers: 2,
      totalCost: 900,
      totalWeight: 1 + 5 + 2,
      packTime: expect.any(Number),
    });
    expect(answer.leftovers).toHaveLength(2);
    expect(answer.boxes[0]?.box).toMatchObject({
      price: 900,
      weightTare: 2,
      weightNet: 6,
      weightUsed: 8,
      weightUtilization: 0.08,
      volumeUtilization: (27 + 512) / 1000,
    });
    const unpriced = pack({ itemSets: [{ dimensions: cube(5), weight: 1 }] }, { images: false });
    expect(unpriced).toMatchObject({ boxTypeChoiceGoalUsed: 'lowest-cost', totalCost: 216 });
  });

  it('packs the fixture request into the fixture numbers', () => {
    const answer = pack(fixtureRequest, { keyStem: '6UZlPsHAqp', images: true });
    expect(answer).toMatchObject({
      lenBoxes: 1,
      lenItems: 1,
      lenLeftovers: 0,
      leftovers: [],
      totalVolume: 240,
      totalVolumeUsed: 120,
      totalVolumeUtilization: 0.5,
      usedKeyStem: '6UZlPsHAqp',
    });
    const [box] = answer.boxes as Box[];
    expect(box?.box.boxType).toMatchObject({ refId: 0, name: '5x6x8', weightMax: 150 });
    expect(box?.box).toMatchObject({ lenItems: 1, volumeMax: 240, volumeUsed: 120, volumeUtilization: 0.5 });
    expect(answer.svgs).toHaveLength(1);
  });

  it('fills boxes first-fit by decreasing volume, opening the smallest type that fits', () => {
    const answer = pack(
      {
        itemSets: [
          { refId: 'small', dimensions: cube(2), quantity: 10, weight: 1 },
          { refId: 'big', dimensions: { x: 9, y: 4, z: 4 }, quantity: 2, weight: 1 },
        ],
        boxTypes: [
          { refId: 'L', dimensions: { x: 10, y: 10, z: 5 }, weightMax: 0 },
          { refId: 'S', dimensions: cube(4) },
        ],
      },
      { images: false },
    );
    // big (144) needs L (500): both bigs share one L (288), then smalls (8 each) fill it up to
    // 500 (26 more units would fit, 10 exist): one box in total.
    expect(answer).toMatchObject({ lenBoxes: 1, lenItems: 12, totalVolume: 500, totalVolumeUsed: 368 });
    expect(answer.svgs).toBeUndefined();
  });

  it('uses several boxes of several types and reports leftovers', () => {
    const answer = pack(
      {
        itemSets: [
          { refId: 1, dimensions: { x: 9, y: 9, z: 9 }, quantity: 2, weight: 10 },
          { refId: 2, dimensions: cube(3), quantity: 3, weight: 1 },
          { refId: 3, dimensions: { x: 50, y: 1, z: 1 }, quantity: 1 },
        ],
        boxTypes: [{ dimensions: cube(10), weightMax: 15 }, { dimensions: cube(4) }],
      },
      { keyStem: 'abcdefghij', images: true },
    );
    const boxes = answer.boxes as Box[];
    // each 9-cube needs its own 10-cube (weight 15); the 3-cubes (27 each) then fill box 1's
    // leftover volume (271) first; the 50x1x1 rod fits no box type.
    expect(boxes.map((b) => b.box.boxType.refId)).toEqual([0, 0]);
    expect(boxes.map((b) => b.box.lenItems)).toEqual([4, 1]);
    expect(answer).toMatchObject({
      lenBoxes: 2,
      lenItems: 5,
      lenLeftovers: 1,
      totalVolume: 2000,
      totalVolumeUsed: 729 * 2 + 27 * 3,
      totalVolumeUtilization: (729 * 2 + 27 * 3) / 2000,
    });
    expect((answer.leftovers as { refId: unknown }[])[0]?.refId).toBe(3);
    expect(answer.svgs).toHaveLength(2);
  });

  it('opens a smaller type when the open box is full', () => {
    const answer = pack(
      {
        itemSets: [
          { refId: 'a', dimensions: cube(4), quantity: 1 },
          { refId: 'b', dimensions: cube(3), quantity: 1 },
        ],
        boxTypes: [
          { refId: 'tight', dimensions: cube(4) },
          { refId: 'tiny', dimensions: cube(3) },
        ],
      },
      { images: false },
    );
    const boxes = answer.boxes as Box[];
    expect(boxes.map((b) => b.box.boxType.refId)).toEqual(['tight', 'tiny']);
    expect(answer.totalVolume).toBe(64 + 27);
  });

  it('uses default box types when the request names none, and omits usedKeyStem without a key', () => {
    const answer = pack({ itemSets: [{ dimensions: cube(7), quantity: 1 }] }, { images: true });
    const [box] = answer.boxes as Box[];
    expect(box?.box.boxType.refId).toBe(DEFAULT_BOX_TYPES[1]?.refId);
    expect(answer).not.toHaveProperty('usedKeyStem');
  });

  it('refuses what Paccurate would refuse', () => {
    const bad = [
      [],
      {},
      { itemSets: {} },
      { itemSets: [{ dimensions: { x: 1, y: 0, z: 1 } }] },
      { itemSets: [{ dimensions: cube(1), quantity: 1.5 }] },
      { itemSets: [{ dimensions: cube(1) }], boxTypes: [{}] },
      { itemSets: [{ dimensions: cube(1), quantity: MAX_UNITS + 1 }] },
    ];
    for (const request of bad) {
      expect(() => pack(request, { images: false })).toThrow(InvalidPackRequestError);
    }
  });

  it('checks every orientation', () => {
    expect(fitsInside({ x: 8, y: 1, z: 2 }, { x: 2, y: 8, z: 1 })).toBe(true);
    expect(fitsInside({ x: 3, y: 3, z: 3 }, { x: 2, y: 8, z: 8 })).toBe(false);
  });
});
