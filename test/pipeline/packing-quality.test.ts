import path from 'node:path';
import { request } from 'undici';
import { createSimulator, type Simulator } from '../../ops/paccurate-sim/simulator';
import { freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';
import { PipelineHarness } from './support/harness';
import { apiKeyFor } from './support/traffic';
import { NodeProcess } from './support/worker-process';

/**
 * Issue 13 end to end: 300 pack requests over 3 keystems through the proxy, the queues, a worker
 * and SQLite, against the simulator, with mixed box types, prices and oversized items. Every cost
 * and packing-quality field the API shows equals what this test computes from the answers it got.
 */

const KEYSTEMS = ['quality-01', 'quality-02', 'quality-03'];
const GOALS = ['lowest-cost', 'most-items', undefined];
const cube = (s: number) => ({ x: s, y: s, z: s });

/** Request i: a few items, sometimes one too large for every box; box types priced or not. */
function packRequest(i: number): Record<string, unknown> {
  const priced = i % 3 !== 0;
  const boxTypes = [
    {
      refId: 'S',
      dimensions: cube(4),
      weightMax: 40,
      weightTare: 0.25,
      ...(priced ? { price: 120 + (i % 5) } : {}),
    },
    { refId: 'M', dimensions: cube(8), weightMax: 60, weightTare: 0.5, ...(priced ? { price: 340 } : {}) },
    { refId: 'L.xl', dimensions: cube(12), weightMax: 90, weightTare: 1, ...(priced ? { price: 700 } : {}) },
  ];
  const itemSets = [
    { refId: 1, dimensions: cube(3), weight: 1.5, quantity: 1 + (i % 4) },
    { refId: 2, dimensions: { x: 7, y: 5, z: 3 }, weight: 4, quantity: i % 3 },
    { refId: 3, dimensions: cube(11), weight: 20, quantity: i % 5 === 0 ? 1 : 0 },
    { refId: 4, dimensions: cube(30), weight: 50, quantity: i % 7 === 0 ? 2 : 0 }, // fits no box
  ];
  const goal = GOALS[i % GOALS.length];
  return { boxTypes, itemSets, includeImages: false, ...(goal ? { boxTypeChoiceGoal: goal } : {}) };
}

type Box = { box: { boxType: { refId: string }; volumeUtilization: number; price: number } };
type Answer = {
  totalCost: number;
  lenBoxes: number;
  lenLeftovers: number;
  totalWeight: number;
  packTime: number;
  boxTypeChoiceGoalUsed: string;
  boxes: Box[];
};

/** What the API must show for these answers, computed the plain way. */
function expected(answers: Answer[]) {
  const sum = (f: (a: Answer) => number) => answers.reduce((acc, a) => acc + f(a), 0);
  const boxTypeStats: Record<string, { count: number; util: number; totalCost: number }> = {};
  const choiceGoals: Record<string, number> = {};
  for (const a of answers) {
    choiceGoals[a.boxTypeChoiceGoalUsed] = (choiceGoals[a.boxTypeChoiceGoalUsed] ?? 0) + 1;
    for (const { box } of a.boxes) {
      const key = box.boxType.refId.replace('.', '\uFF0E');
      const s = (boxTypeStats[key] ??= { count: 0, util: 0, totalCost: 0 });
      s.count += 1;
      s.util += box.volumeUtilization;
      s.totalCost += box.price;
    }
  }
  return {
    totalCost: sum((a) => a.totalCost),
    costedPacks: answers.length,
    avgCostPerPack: sum((a) => a.totalCost) / answers.length,
    totalBoxes: sum((a) => a.lenBoxes),
    avgBoxesPerPack: sum((a) => a.lenBoxes) / answers.length,
    totalLeftovers: sum((a) => a.lenLeftovers),
    packsWithLeftovers: answers.filter((a) => a.lenLeftovers > 0).length,
    totalWeight: sum((a) => a.totalWeight),
    avgPackTime: sum((a) => a.packTime) / answers.length,
    boxTypeStats: Object.fromEntries(
      Object.entries(boxTypeStats).map(([k, s]) => [
        k,
        { count: s.count, avgVolumeUtilization: s.util / s.count, totalCost: s.totalCost },
      ]),
    ),
    choiceGoals,
    packsWithWarnings: 0,
  };
}

/** Floating-point sums depend on the order of addition: compare numbers to 9 digits. */
function close(actual: unknown, wanted: unknown): void {
  if (typeof wanted === 'number') {
    expect(actual).toBeCloseTo(wanted, 9);
  } else if (wanted !== null && typeof wanted === 'object') {
    expect(Object.keys(actual as object).sort()).toEqual(Object.keys(wanted).sort());
    for (const [k, v] of Object.entries(wanted)) close((actual as Record<string, unknown>)[k], v);
  } else {
    expect(actual).toEqual(wanted);
  }
}

describe('pipeline: cost and packing quality through the simulator', () => {
  let h: PipelineHarness;
  let sim: Simulator;
  let port: number;

  beforeAll(async () => {
    h = await PipelineHarness.start();
    sim = await createSimulator({ behavior: { images: false } });
    port = await freePort();
    const proxy = NodeProcess.proxy('proxy', {
      ...h.env,
      PORT: port,
      PACCURATE_URL: sim.url,
      OUTBOX_DIR: path.join(h.dir, 'proxy-outbox'),
    });
    h.processes.push(proxy);
    await waitFor(() => proxy.output().includes('pacproxy listening'), {
      timeoutMs: 20_000,
      what: 'the proxy',
    });
    h.startWorker('worker');
  });
  afterAll(async () => {
    await h?.close();
    await sim?.close();
  });

  /** Sends `count` varied pack requests over `keystems` through /pack; answers Paccurate's answers. */
  async function traffic(keystems: readonly string[], count: number): Promise<Map<string, Answer[]>> {
    const answers = new Map<string, Answer[]>(keystems.map((k) => [k, []]));
    const send = async (i: number) => {
      const keystem = keystems[i % keystems.length] as string;
      const res = await request(`http://127.0.0.1:${port}/pack`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `apikey ${apiKeyFor(keystem)}` },
        body: JSON.stringify(packRequest(i)),
      });
      expect(res.statusCode).toBe(200);
      answers.get(keystem)?.push((await res.body.json()) as Answer);
    };
    for (let i = 0; i < count; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => send(i + j)));
    return answers;
  }

  it('shows every new field per keystem and across keystems exactly as the answers add up', async () => {
    const answers = await traffic(KEYSTEMS, 300);
    await h.settle(KEYSTEMS, 300);
    const all = [...answers.values()].flat();
    expect(all.some((a) => a.lenLeftovers > 0)).toBe(true);
    expect(new Set(all.flatMap((a) => a.boxes.map((b) => b.box.boxType.refId)))).toEqual(
      new Set(['S', 'M', 'L.xl']),
    );
    const fields = Object.keys(expected(all));
    const pick = (body: Record<string, unknown>) => Object.fromEntries(fields.map((f) => [f, body[f]]));

    for (const keystem of KEYSTEMS) {
      const res = await request(`http://127.0.0.1:${port}/api/keydata/${keystem}`);
      const body = (await res.body.json()) as Record<string, unknown>;
      expect(body.totalRequests).toBe(100);
      close(pick(body), expected(answers.get(keystem) ?? []));
    }
    const summary = (await (await request(`http://127.0.0.1:${port}/api/keydata/all`)).body.json()) as Record<
      string,
      unknown
    >;
    close(pick(summary), expected(all));
  });

  it('answers history whose points add up to the totals, in JSON and in CSV', async () => {
    const keystems = ['history-01', 'history-02'];
    const from = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000).toISOString();
    await traffic(keystems, 60);
    await h.settle([...KEYSTEMS, ...keystems], 360);
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const get = async (path: string, accept = 'application/json') => {
      const res = await request(`http://127.0.0.1:${port}${path}`, { headers: { accept } });
      expect(res.statusCode).toBe(200);
      return accept === 'text/csv' ? res.body.text() : res.body.json();
    };
    const summed = [
      'totalRequests',
      'packs',
      'totalItems',
      'totalCost',
      'costedPacks',
      'totalBoxes',
      'totalLeftovers',
    ];
    for (const keystem of [...keystems, 'all']) {
      const totals = (await get(`/api/keydata/${keystem}`)) as Record<string, number>;
      const query = `from=${from}&to=${to}&interval=day&tz=America/New_York`;
      const history = (await get(`/api/keydata/${keystem}/history?${query}`)) as {
        points: Record<string, number>[];
      };
      const csv = (await get(`/api/keydata/${keystem}/history?${query}`, 'text/csv')) as string;
      const [header, ...rows] = csv
        .trim()
        .split('\r\n')
        .map((line) => line.split(','));
      for (const field of summed) {
        const column = (header ?? []).indexOf(field);
        expect(history.points.reduce((a, p) => a + (p[field] ?? 0), 0)).toBeCloseTo(totals[field] ?? NaN, 9);
        expect(rows.reduce((a, r) => a + Number(r[column]), 0)).toBeCloseTo(totals[field] ?? NaN, 9);
      }
    }
  });
});
