import { emptyTotals } from '../../src/stats/fold';
import type { PackEvent, PackStats, StatsEvent, Totals } from '../../src/stats/types';
import { OTHER_BOX_TYPES } from '../../src/stats/paccurate';
import type { ExpiringLedger, StatsStore, StoreOptions } from '../../src/store/types';
import { newEventId } from '../../src/stats/event-id';
import { packEvent, resetEvent } from '../helpers/stats-events';

/**
 * One behaviour, every backend: each backend's test file calls describeStoreConformance with a
 * factory that makes a fresh, initialised store on empty storage (and disposes of it after).
 */
export type ConformanceStore = StatsStore & ExpiringLedger;

export interface StoreHandle {
  store: ConformanceStore;
  dispose(): Promise<void>;
}

export const TEST_LEDGER_TTL_MS = 60_000;

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Keys as the data has them → as every backend must store them. */
const ODD_KEYS: Record<string, string> = { '0': '0', '1': '1', 'a.b': 'a\uFF0Eb', $x: '\uFF04x', x$y: 'x$y' };

/**
 * Many events over many keystems with every kind of answer. Utilisations are multiples of
 * 1/256 and volumes integers, so sums are exact whatever order an engine adds them in.
 */
export function generateEvents(count: number, keystems: number, seed = 1, startAt = 1_000_000): PackEvent[] {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const refIds = Object.keys(ODD_KEYS);
  return Array.from({ length: count }, (_, i) => {
    const outcome = pick(['ok', 'ok', 'ok', 'ok', 'cached', 'error', 'failed'] as const);
    const ok = outcome === 'ok' || outcome === 'cached';
    const boxTypes: Record<string, number> = {};
    const boxTypeStats: PackStats['boxTypeStats'] = {};
    if (ok)
      for (let b = 0; b < 1 + Math.floor(rnd() * 3); b++) {
        const refId = pick(refIds);
        const n = 1 + Math.floor(rnd() * 5);
        boxTypes[refId] = n;
        const reported = Math.floor(rnd() * (n + 1)); // some boxes report no volumeUtilization
        boxTypeStats[refId] = {
          volumeUtilizationSum: (reported * Math.floor(rnd() * 256)) / 256,
          volumeUtilizationCount: reported,
          totalCost: n * Math.floor(rnd() * 900),
        };
      }
    const leftovers = ok && rnd() < 0.3 ? 1 + Math.floor(rnd() * 4) : 0;
    return packEvent(`ks-${String(Math.floor(rnd() * keystems)).padStart(3, '0')}`, startAt + i, {
      totalItems: ok ? 1 + Math.floor(rnd() * 40) : 0,
      totalVolume: ok ? Math.floor(rnd() * 100_000) : 0,
      volumeUtilization: ok ? Math.floor(rnd() * 256) / 256 : 0,
      boxTypes,
      cacheHit: outcome === 'cached',
      errorResponse: outcome === 'error',
      requestError: outcome === 'failed',
      statusCode: { ok: '200', cached: '200', error: pick(['422', '500']), failed: '0' }[outcome],
      latency: 1_000_000 + Math.floor(rnd() * 1e9),
      timeStamp: new Date(startAt + i).toISOString(),
      // exact in binary: sums are the same whatever order an engine adds them in
      totalCost: ok && rnd() < 0.8 ? Math.floor(rnd() * 10_000) : null,
      boxes: ok ? Object.values(boxTypes).reduce((a, b) => a + b, 0) : 0,
      leftovers,
      totalWeight: ok ? Math.floor(rnd() * 4000) / 4 : 0,
      packTime: ok && rnd() < 0.9 ? Math.floor(rnd() * 1024) / 1024 : null,
      boxTypeStats,
      boxTypeChoiceGoalUsed: ok ? pick(['lowest-cost', 'most-items', 'a.b', null]) : null,
      warnings: ok && rnd() < 0.1 ? 2 : 0,
    });
  });
}

/** The expected sums, computed the plain way (independent of the fold under test). */
export function reference(events: readonly PackEvent[]): Map<string, Totals> {
  const out = new Map<string, Totals>();
  for (const { keystem, stats: s } of events) {
    const t = out.get(keystem) ?? emptyTotals();
    out.set(keystem, t);
    t.totalRequests++;
    t.statusCodes[s.statusCode] = (t.statusCodes[s.statusCode] ?? 0) + 1;
    if (s.requestError) t.requestErrorCount++;
    if (s.errorResponse) t.errorResponseCount++;
    if (s.statusCode === '200') {
      t.packs++;
      t.totalItems += s.totalItems;
      t.totalVolume += s.totalVolume;
      t.sumVolumeUtilization += s.volumeUtilization;
      for (const [k, n] of Object.entries(s.boxTypes)) {
        const key = ODD_KEYS[k] ?? k;
        t.boxTypes[key] = (t.boxTypes[key] ?? 0) + n;
      }
      if (s.totalCost !== null) {
        t.totalCost += s.totalCost;
        t.costedPacks++;
      }
      if (s.packTime !== null) {
        t.packTimeSum += s.packTime;
        t.packTimeCount++;
      }
      t.totalBoxes += s.boxes;
      t.totalLeftovers += s.leftovers;
      if (s.leftovers > 0) t.packsWithLeftovers++;
      t.totalWeight += s.totalWeight;
      if (s.warnings > 0) t.packsWithWarnings++;
      const goal = s.boxTypeChoiceGoalUsed;
      if (goal !== null) {
        const key = ODD_KEYS[goal] ?? goal;
        t.choiceGoals[key] = (t.choiceGoals[key] ?? 0) + 1;
      }
      for (const [k, b] of Object.entries(s.boxTypeStats)) {
        const key = ODD_KEYS[k] ?? k;
        t.boxTypeUtilizationSum[key] = (t.boxTypeUtilizationSum[key] ?? 0) + b.volumeUtilizationSum;
        t.boxTypeUtilizationCount[key] = (t.boxTypeUtilizationCount[key] ?? 0) + b.volumeUtilizationCount;
        t.boxTypeCost[key] = (t.boxTypeCost[key] ?? 0) + b.totalCost;
      }
    }
    if (s.cacheHit) t.cacheHits++;
    else {
      t.latencySum += s.latency;
      t.latencyCount++;
      if (s.latency > t.maxLatency.latency) t.maxLatency = { latency: s.latency, timeStamp: s.timeStamp };
    }
  }
  return out;
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));
}

async function applyAll(store: StatsStore, events: readonly StatsEvent[], batchSize = 250): Promise<void> {
  for (const batch of chunks(events, batchSize)) await store.applyBatch(batch);
}

async function expectKeystems(store: StatsStore, expected: Map<string, Totals>): Promise<void> {
  for (const [keystem, totals] of expected) {
    expect(await store.getKeystem(keystem)).toEqual({ keystem, updatedAt: expect.any(String), ...totals });
  }
}

export function describeStoreConformance(
  name: string,
  makeStore: (options?: StoreOptions) => Promise<StoreHandle>,
  { skip = false }: { skip?: boolean } = {},
): void {
  (skip ? describe.skip : describe)(`StatsStore conformance: ${name}`, () => {
    let handle: StoreHandle;
    let store: ConformanceStore;

    beforeEach(async () => {
      handle = await makeStore();
      store = handle.store;
    });
    afterEach(async () => {
      await handle?.dispose();
    });

    it('adds thousands of events over many keystems exactly, per keystem and in the summary', async () => {
      const events = generateEvents(3000, 40);
      await applyAll(store, events);
      const expected = reference(events);
      expect(expected.size).toBe(40);
      await expectKeystems(store, expected);

      const all = reference(events.map((e) => ({ ...e, keystem: 'all' }))).get('all') as Totals;
      const summary = await store.getSummary();
      const { maxLatency, ...sums } = all;
      const averages = [...expected].map(([k, t]) => ({
        latency: t.latencySum / t.latencyCount,
        usedKeystem: k,
      }));
      expect(summary).toEqual({
        ...sums,
        keystems: 40,
        maxLatency: {
          ...maxLatency,
          usedKeystem: events.find((e) => e.stats.timeStamp === maxLatency.timeStamp)?.keystem,
        },
        highestAvgLatency: averages.reduce((a, b) => (b.latency > a.latency ? b : a)),
      });
    });

    it('counts a batch applied twice once, and an id repeated inside a batch once', async () => {
      const batch = generateEvents(200, 5, 2);
      expect(await store.applyBatch(batch)).toEqual({ applied: 200, duplicates: 0, stale: 0 });
      expect(await store.applyBatch(batch)).toEqual({ applied: 0, duplicates: 200, stale: 0 });
      const twice = generateEvents(1, 1, 3, 5_000_000);
      expect(await store.applyBatch([...twice, ...twice])).toEqual({ applied: 1, duplicates: 1, stale: 0 });
      await expectKeystems(store, reference([...batch, ...twice]));
    });

    it('counts only the new half of a batch whose other half was applied before', async () => {
      const events = generateEvents(400, 6, 4);
      const old = events.filter((_, i) => i % 2 === 0);
      await store.applyBatch(old);
      expect(await store.applyBatch(events)).toEqual({ applied: 200, duplicates: 200, stale: 0 });
      await expectKeystems(store, reference(events));
    });

    it('forgets a keystem on reset, hides the tombstone, then counts later events afresh', async () => {
      const before = [packEvent('a', 10), packEvent('a', 11), packEvent('b', 12)];
      await store.applyBatch(before);
      expect(await store.applyBatch([resetEvent('a', 20)])).toEqual({ applied: 1, duplicates: 0, stale: 0 });
      expect(await store.getKeystem('a')).toBeNull();
      expect((await store.listKeystems({ limit: 10 })).keystems).toEqual(['b']);
      expect((await store.getSummary()).keystems).toBe(1);

      const after = [packEvent('a', 30, { latency: 7, timeStamp: 't30', boxTypes: { '9': 1 } })];
      await store.applyBatch(after);
      await expectKeystems(store, reference([...after, before[2] as PackEvent]));
      expect((await store.listKeystems({ limit: 10 })).keystems).toEqual(['a', 'b']);
    });

    it('drops an event older than the reset, delivered in a later batch', async () => {
      await store.applyBatch([packEvent('a', 10)]);
      await store.applyBatch([resetEvent('a', 100)]);
      const late = packEvent('a', 50);
      const fresh = packEvent('a', 150);
      expect(await store.applyBatch([late, fresh])).toEqual({ applied: 1, duplicates: 0, stale: 1 });
      await expectKeystems(store, reference([fresh]));
      expect(await store.applyBatch([resetEvent('a', 90)])).toEqual({ applied: 0, duplicates: 0, stale: 1 });
      await expectKeystems(store, reference([fresh]));
    });

    it('drops events older than a reset in the same batch, wherever they sit in it', async () => {
      await store.applyBatch([packEvent('a', 10), packEvent('b', 10)]);
      const kept = [packEvent('a', 150), packEvent('a', 120)];
      const batch = [
        packEvent('a', 50),
        kept[0],
        resetEvent('a', 100),
        kept[1],
        packEvent('a', 60),
      ] as StatsEvent[];
      expect(await store.applyBatch(batch)).toEqual({ applied: 3, duplicates: 0, stale: 2 });
      await expectKeystems(store, reference(kept as PackEvent[]));
      expect((await store.getKeystem('b'))?.totalRequests).toBe(1);
    });

    it('stores and returns map keys that are odd as field names, the same on every backend', async () => {
      await store.applyBatch([
        packEvent('a', 1, { boxTypes: { 'a.b': 1, $x: 2, '0': 3, x$y: 4, '': 5, 'a.$b.c': 6 } }),
        packEvent('b', 2, { boxTypes: { 'a.b': 10 }, statusCode: '2.5', errorResponse: true }),
      ]);
      expect((await store.getKeystem('a'))?.boxTypes).toEqual({
        'a\uFF0Eb': 1,
        '\uFF04x': 2,
        '0': 3,
        x$y: 4,
        '\u2205': 5,
        'a\uFF0E$b\uFF0Ec': 6,
      });
      expect((await store.getKeystem('b'))?.statusCodes).toEqual({ '2\uFF0E5': 1 });
      const summary = await store.getSummary();
      expect(summary.boxTypes['a\uFF0Eb']).toBe(1);
      expect(summary.statusCodes).toEqual({ '200': 1, '2\uFF0E5': 1 });
    });

    it('keeps the max latency together with its timestamp across batches', async () => {
      const max = async () => (await store.getKeystem('a'))?.maxLatency;
      await store.applyBatch([packEvent('a', 1, { latency: 500, timeStamp: 't1' })]);
      await store.applyBatch([packEvent('a', 2, { latency: 300, timeStamp: 't2' })]);
      expect(await max()).toEqual({ latency: 500, timeStamp: 't1' });
      await store.applyBatch([packEvent('a', 3, { latency: 900, timeStamp: 't3' })]);
      expect(await max()).toEqual({ latency: 900, timeStamp: 't3' });
      await store.applyBatch([packEvent('a', 4, { latency: 5000, timeStamp: 't4', cacheHit: true })]);
      expect(await max()).toEqual({ latency: 900, timeStamp: 't3' });
      await store.applyBatch([packEvent('a', 5, { latency: 900, timeStamp: 't5' })]);
      expect(await max()).toEqual({ latency: 900, timeStamp: 't5' });
    });

    it('summarises: sums, the keystem with the max latency and the highest average', async () => {
      await store.applyBatch([
        packEvent('a', 1, { latency: 100, timeStamp: 'ta1' }),
        packEvent('a', 2, { latency: 1000, timeStamp: 'ta2' }),
        packEvent('b', 3, { latency: 700, timeStamp: 'tb' }),
        packEvent('b', 4, { latency: 800, timeStamp: 'tb2' }),
        packEvent('c', 5, { cacheHit: true, latency: 99_999 }),
        packEvent('d', 6, { latency: 5_000 }),
        resetEvent('d', 7),
      ]);
      const summary = await store.getSummary();
      expect(summary).toMatchObject({
        keystems: 3,
        totalRequests: 5,
        latencySum: 2600,
        latencyCount: 4,
        cacheHits: 1,
        maxLatency: { latency: 1000, timeStamp: 'ta2', usedKeystem: 'a' },
        highestAvgLatency: { latency: 750, usedKeystem: 'b' },
      });
    });

    it('summarises an empty store', async () => {
      expect(await store.getSummary()).toMatchObject({
        keystems: 0,
        totalRequests: 0,
        statusCodes: {},
        boxTypes: {},
        maxLatency: { latency: 0, timeStamp: '', usedKeystem: '' },
        highestAvgLatency: null,
      });
      expect(await store.getKeystem('nobody')).toBeNull();
      expect(await store.listKeystems({ limit: 5 })).toEqual({ keystems: [], rows: [], next: null });
    });

    it('lists keystems in pages by keystem order, without tombstones', async () => {
      const names = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      await store.applyBatch([...names].reverse().map((k, i) => packEvent(k, i)));
      await store.applyBatch([resetEvent('k05', 100)]);
      const seen: string[] = [];
      let after: string | undefined;
      const pages: number[] = [];
      for (;;) {
        const page = await store.listKeystems({ limit: 10, after });
        seen.push(...page.keystems);
        pages.push(page.keystems.length);
        if (!page.next) break;
        after = page.next;
      }
      expect(pages).toEqual([10, 10, 4]);
      expect(seen).toEqual(names.filter((k) => k !== 'k05'));
    });

    it('forgets ledger entries older than the TTL, so only then would a re-delivery count again', async () => {
      const batch = generateEvents(50, 3, 5);
      await store.applyBatch(batch);
      expect(await store.expireLedger()).toBe(0);
      expect(await store.applyBatch(batch)).toMatchObject({ applied: 0, duplicates: 50 });
      expect(await store.expireLedger(Date.now() + TEST_LEDGER_TTL_MS + 1000)).toBe(50);
      expect(await store.applyBatch(batch)).toMatchObject({ applied: 50, duplicates: 0 });
    });

    it('applies an empty batch as a no-op', async () => {
      expect(await store.applyBatch([])).toEqual({ applied: 0, duplicates: 0, stale: 0 });
      expect((await store.getSummary()).keystems).toBe(0);
    });

    it('lists the sums of each keystem of a page, filtered by name prefix', async () => {
      const events = generateEvents(400, 12, 9);
      await store.applyBatch(events);
      const expected = reference(events);
      const page = await store.listKeystems({ limit: 3, prefix: 'ks-00', after: 'ks-001' });
      expect(page.keystems).toEqual(['ks-002', 'ks-003', 'ks-004']);
      expect(page.next).toBe('ks-004');
      expect(page.rows).toEqual(
        page.keystems.map((keystem) => {
          const t = expected.get(keystem) as Totals;
          return {
            keystem,
            totalRequests: t.totalRequests,
            requestErrorCount: t.requestErrorCount,
            errorResponseCount: t.errorResponseCount,
            packs: t.packs,
            sumVolumeUtilization: t.sumVolumeUtilization,
            totalCost: t.totalCost,
            costedPacks: t.costedPacks,
            latencySum: t.latencySum,
            latencyCount: t.latencyCount,
            updatedAt: expect.any(String),
          };
        }),
      );
      expect((await store.listKeystems({ limit: 100, prefix: 'ks-01' })).keystems).toEqual([
        'ks-010',
        'ks-011',
      ]);
      expect((await store.listKeystems({ limit: 100, prefix: 'ks_0' })).keystems).toEqual([]);
    });

    describeHistory(() => store);
    describeShardCount(() => store);
    describeBoxTypeCap(makeStore);

    it('answers ping, and init is idempotent', async () => {
      await store.init();
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

const HOUR = 3_600_000;
/** 2026-03-01T00:00:00Z: history tests place events in real hours. */
const T0 = Date.UTC(2026, 2, 1);

/** Events spread over `hours` hours from T0 (a few per hour per keystem). */
function hourlyEvents(count: number, keystems: number, hours: number, seed: number): PackEvent[] {
  return generateEvents(count, keystems, seed).map((e, i) => ({
    ...e,
    at: T0 + Math.floor((i * hours * HOUR) / count) + 1,
  }));
}

/** Hourly ranges [T0 + a h, T0 + b h) as the history reads take them. */
function hourRanges(hours: number, step = 1): { from: number; to: number }[] {
  return Array.from({ length: Math.ceil(hours / step) }, (_, i) => ({
    from: T0 + i * step * HOUR,
    to: T0 + Math.min(hours, (i + 1) * step) * HOUR,
  }));
}

const within = (r: { from: number; to: number }) => (e: PackEvent) =>
  e.at >= Math.floor(r.from / HOUR) * HOUR && e.at < r.to;

/** The expected points of a keystem's history: the reference sums of each range's events. */
function expectedPoints(
  events: readonly PackEvent[],
  keystem: string,
  ranges: { from: number; to: number }[],
): Totals[] {
  return ranges.map(
    (r) =>
      reference(events.filter((e) => e.keystem === keystem && within(r)(e))).get(keystem) ?? emptyTotals(),
  );
}

function expectedSummaryPoints(events: readonly PackEvent[], ranges: { from: number; to: number }[]) {
  return ranges.map((r) => {
    const inRange = events.filter(within(r));
    const all = reference(inRange.map((e) => ({ ...e, keystem: 'all' }))).get('all') ?? emptyTotals();
    const top = inRange.find(
      (e) =>
        !e.stats.cacheHit &&
        e.stats.latency === all.maxLatency.latency &&
        e.stats.timeStamp === all.maxLatency.timeStamp,
    );
    return {
      ...all,
      keystems: new Set(inRange.map((e) => e.keystem)).size,
      maxLatency: { ...all.maxLatency, usedKeystem: top?.keystem ?? '' },
    };
  });
}

/**
 * BOX_TYPES_PER_KEYSTEM: refIds a client makes up per order cannot grow a keystem's maps without
 * end; past the cap, new ones count as (other), in the totals and the history alike.
 */
function describeBoxTypeCap(makeStore: (options?: StoreOptions) => Promise<StoreHandle>): void {
  describe('box types per keystem', () => {
    let handle: StoreHandle;
    beforeEach(async () => {
      handle = await makeStore({ maxBoxTypesPerKeystem: 3 });
    });
    afterEach(() => handle.dispose());

    /** An event with one box of each refId, each costing 10. */
    const boxed = (keystem: string, at: number, refIds: string[]) =>
      packEvent(keystem, at, {
        boxes: refIds.length,
        boxTypes: Object.fromEntries(refIds.map((r) => [r, 1])),
        boxTypeStats: Object.fromEntries(
          refIds.map((r) => [r, { volumeUtilizationSum: 0.5, volumeUtilizationCount: 1, totalCost: 10 }]),
        ),
      });

    it('keeps the first refIds up to the cap, counts later new ones as (other), per keystem', async () => {
      const { store } = handle;
      await store.applyBatch([boxed('ks-a', T0 + 1, ['r1', 'r2'])]);
      await store.applyBatch([
        boxed('ks-a', T0 + 2, ['r2', 'r3', 'r4']),
        boxed('ks-a', T0 + HOUR, ['r5', 'r1']),
      ]);
      await store.applyBatch([boxed('ks-b', T0 + 3, ['x1', 'x2', 'x3', 'x4'])]);
      const a = await store.getKeystem('ks-a');
      expect(a?.boxTypes).toEqual({ r1: 2, r2: 2, r3: 1, [OTHER_BOX_TYPES]: 2 });
      expect(a?.boxTypeCost).toEqual({ r1: 20, r2: 20, r3: 10, [OTHER_BOX_TYPES]: 20 });
      expect(a?.boxTypeUtilizationCount).toEqual({ r1: 2, r2: 2, r3: 1, [OTHER_BOX_TYPES]: 2 });
      expect(a?.totalBoxes).toBe(7); // the boxes are all counted, whatever their name
      expect((await store.getKeystem('ks-b'))?.boxTypes).toEqual({
        x1: 1,
        x2: 1,
        x3: 1,
        [OTHER_BOX_TYPES]: 1,
      });
      // the history names the same refIds: r4 in the first hour and r5 in the second are (other)
      const [first, second] = await store.getKeystemHistory('ks-a', hourRanges(2));
      expect(first?.boxTypes).toEqual({ r1: 1, r2: 2, r3: 1, [OTHER_BOX_TYPES]: 1 });
      expect(second?.boxTypes).toEqual({ r1: 1, [OTHER_BOX_TYPES]: 1 });
    });

    it('starts a reset keystem afresh', async () => {
      const { store } = handle;
      await store.applyBatch([boxed('ks-a', T0 + 1, ['r1', 'r2', 'r3'])]);
      await store.applyBatch([resetEvent('ks-a', T0 + 2), boxed('ks-a', T0 + 3, ['n1', 'n2', 'n3', 'n4'])]);
      expect((await store.getKeystem('ks-a'))?.boxTypes).toEqual({
        n1: 1,
        n2: 1,
        n3: 1,
        [OTHER_BOX_TYPES]: 1,
      });
    });
  });
}

/** The deployment's shard count (src/config/shard-count.ts), recorded once by every backend. */
function describeShardCount(current: () => ConformanceStore): void {
  describe("the deployment's shard count", () => {
    const proposal = { fresh: 4, written: 16 };

    it('records the count for a new deployment in a store that holds nothing, and keeps it', async () => {
      expect(await current().recordShardCount(proposal)).toBe(4);
      // later starts propose again: the recorded count stands, whatever the data since
      await current().applyBatch([packEvent('ks-1', 1_000)]);
      expect(await current().recordShardCount({ fresh: 8, written: 8 })).toBe(4);
    });

    it('records the earlier default in a store that holds statistics but no count (an earlier version wrote it)', async () => {
      await current().applyBatch([packEvent('ks-1', 1_000)]);
      expect(await current().recordShardCount(proposal)).toBe(16);
      expect(await current().recordShardCount({ fresh: 2, written: 2 })).toBe(16);
    });
  });
}

/** History (issue 14): the same sums per keystem and UTC hour of acceptance, on every backend. */
function describeHistory(current: () => ConformanceStore): void {
  describe('history', () => {
    it('keeps every keystem-hour exactly, per keystem and across keystems, in any grouping of hours', async () => {
      const store = current();
      const events = hourlyEvents(1200, 6, 30, 11);
      await applyAll(store, events, 97);
      for (const keystem of ['ks-000', 'ks-003']) {
        expect(await store.getKeystemHistory(keystem, hourRanges(30))).toEqual(
          expectedPoints(events, keystem, hourRanges(30)),
        );
        expect(await store.getKeystemHistory(keystem, hourRanges(30, 7))).toEqual(
          expectedPoints(events, keystem, hourRanges(30, 7)),
        );
      }
      expect(await store.getSummaryHistory(hourRanges(30, 6))).toEqual(
        expectedSummaryPoints(events, hourRanges(30, 6)),
      );
      // one range over everything: the totals
      const [whole] = await store.getKeystemHistory('ks-001', hourRanges(30, 30));
      const {
        keystem: _,
        updatedAt: __,
        ...totals
      } = (await store.getKeystem('ks-001')) as Totals & { keystem: string; updatedAt: string };
      expect(whole).toEqual(totals);
    });

    it('answers zeros for hours without traffic and for an unknown keystem', async () => {
      const store = current();
      await store.applyBatch([packEvent('a', T0 + 2 * HOUR + 5)]);
      const points = await store.getKeystemHistory('a', hourRanges(4));
      expect(points.map((p) => p.totalRequests)).toEqual([0, 0, 1, 0]);
      expect(points[0]).toEqual(emptyTotals());
      expect(await store.getKeystemHistory('nobody', hourRanges(2))).toEqual([emptyTotals(), emptyTotals()]);
      const all = await store.getSummaryHistory(hourRanges(4));
      expect(all.map((p) => p.keystems)).toEqual([0, 0, 1, 0]);
      expect(all[0]).toEqual({
        ...emptyTotals(),
        keystems: 0,
        maxLatency: { latency: 0, timeStamp: '', usedKeystem: '' },
      });
    });

    it('counts re-deliveries and ids repeated in a batch once in the history too', async () => {
      const store = current();
      const events = hourlyEvents(300, 3, 5, 12);
      await store.applyBatch(events);
      await store.applyBatch(events);
      await store.applyBatch([...events.slice(0, 50), ...events.slice(0, 50)]);
      expect(await store.getKeystemHistory('ks-001', hourRanges(5))).toEqual(
        expectedPoints(events, 'ks-001', hourRanges(5)),
      );
      expect(await store.getSummaryHistory(hourRanges(5))).toEqual(
        expectedSummaryPoints(events, hourRanges(5)),
      );
    });

    it('puts an event in the hour it was accepted in, however late it is flushed', async () => {
      const store = current();
      const accepted = packEvent('a', T0 + 3 * HOUR + 59 * 60_000); // 03:59, replayed from an outbox hours later
      await store.applyBatch([packEvent('a', T0 + 5 * HOUR + 1)]);
      await store.applyBatch([accepted]);
      const points = await store.getKeystemHistory('a', hourRanges(6));
      expect(points.map((p) => p.totalRequests)).toEqual([0, 0, 0, 1, 0, 1]);
    });

    it('forgets the history of a reset keystem, everywhere, and counts what came after', async () => {
      const store = current();
      const before = hourlyEvents(200, 2, 4, 13); // ks-000 and ks-001, hours 0-3
      await store.applyBatch(before);
      const resetAt = T0 + 4 * HOUR + 10;
      const after = [
        packEvent('ks-000', resetAt + 5, { boxTypes: { late: 2 } }),
        packEvent('ks-000', T0 + 5 * HOUR + 1),
      ];
      const staleReplay = { ...packEvent('ks-000', T0 + 2 * HOUR), eventId: newEventId() }; // accepted before the reset
      expect(await store.applyBatch([resetEvent('ks-000', resetAt), after[0] as PackEvent])).toMatchObject({
        applied: 2,
      });
      expect(await store.applyBatch([staleReplay, after[1] as PackEvent])).toMatchObject({
        applied: 1,
        stale: 1,
      });
      const kept = [...before.filter((e) => e.keystem === 'ks-001'), ...after];
      expect(await store.getKeystemHistory('ks-000', hourRanges(6))).toEqual(
        expectedPoints(after, 'ks-000', hourRanges(6)),
      );
      expect(await store.getKeystemHistory('ks-001', hourRanges(6))).toEqual(
        expectedPoints(kept, 'ks-001', hourRanges(6)),
      );
      expect(await store.getSummaryHistory(hourRanges(6))).toEqual(
        expectedSummaryPoints(kept, hourRanges(6)),
      );
    });

    it('removes hours older than the retention, never the totals', async () => {
      const store = current();
      const events = hourlyEvents(100, 2, 10, 14);
      await store.applyBatch(events);
      const totalsBefore = await store.getKeystem('ks-000');
      const retentionDays = 400;
      // a clock 400 days after hour 6: hours 0-5 are older than the retention
      const removed = await store.expireHistory(T0 + 6 * HOUR + retentionDays * 24 * HOUR + 1);
      expect(removed).toBeGreaterThan(0);
      const kept = events.filter((e) => e.at >= T0 + 6 * HOUR);
      expect(await store.getKeystemHistory('ks-000', hourRanges(10))).toEqual(
        expectedPoints(kept, 'ks-000', hourRanges(10)),
      );
      expect(await store.getSummaryHistory(hourRanges(10))).toEqual(
        expectedSummaryPoints(kept, hourRanges(10)),
      );
      expect(await store.getKeystem('ks-000')).toEqual(totalsBefore);
      expect(await store.expireHistory(T0 + 6 * HOUR + retentionDays * 24 * HOUR + 1)).toBe(0);
    });
  });
}
