import { BatchWindow, type JobSource } from '../../workers/batch-window';
import type { TakenJob } from '../../workers/job-batches';
import { HOUR_MS, stepWallClock } from '../helpers/wall-clock';

/** A queue in memory: `next` answers the oldest waiting job (or null: the idle wait ran out). */
class FakeSource implements JobSource {
  readonly waiting: TakenJob[] = [];
  takes = 0;
  nexts = 0;
  /** what each take was told: whether the last one came back full */
  readonly backlogs: boolean[] = [];
  private ids = 0;

  add(n: number): void {
    for (let i = 0; i < n; i++) this.waiting.push({ id: String(++this.ids), name: 'pack', data: {} });
  }
  next(): Promise<TakenJob | null> {
    this.nexts += 1;
    return Promise.resolve(this.waiting.shift() ?? null);
  }
  take(max: number, backlog = false): Promise<TakenJob[]> {
    this.takes += 1;
    this.backlogs.push(backlog);
    return Promise.resolve(this.waiting.splice(0, max));
  }
}

function windowOn(
  source: JobSource,
  opts: { maxJobs?: number; intervalMs?: number; onSleep?: () => void } = {},
) {
  return new BatchWindow({
    source,
    maxJobs: opts.maxJobs ?? 100,
    intervalMs: opts.intervalMs ?? 60_000,
    sleep: () => {
      opts.onSleep?.();
      return Promise.resolve();
    },
    stopping: () => false,
  });
}

/** from..to, both included */
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('BatchWindow', () => {
  it('answers an empty batch when the idle wait brings nothing', async () => {
    const source = new FakeSource();
    expect(await windowOn(source).fill()).toEqual([]);
    expect(source.nexts).toBe(1);
  });

  it('meets a backlog with a quarter batch, then twice that until full, without the idle wait', async () => {
    const source = new FakeSource();
    source.add(300);
    const window = windowOn(source, {
      onSleep: () => {
        throw new Error('a backlog never waits');
      },
    });
    const ids = (batch: TakenJob[]) => batch.map((j) => Number(j.id));
    // every shard meets a backlog at once: each commit runs while Redis takes the next, larger batch
    expect(ids(await window.fill())).toEqual(range(1, 25));
    expect(window.backlog).toBe(true);
    expect(ids(await window.fill())).toEqual(range(26, 75));
    expect(ids(await window.fill())).toEqual(range(76, 175));
    expect(ids(await window.fill())).toEqual(range(176, 275));
    expect(source.nexts).toBe(1);
    // the rest of the backlog goes at once, and the window is back to light traffic
    expect(ids(await window.fill())).toEqual(range(276, 300));
    expect(window.backlog).toBe(false);
    // each batch's first take after a full one is told of the backlog (its calls then go at once)
    expect(source.backlogs).toEqual([false, true, true, true, true]);
  });

  it('waits within the window for more when a small batch finds the queue dry', async () => {
    const source = new FakeSource();
    source.add(3);
    // jobs arrive while the window waits
    const batch = await windowOn(source, { onSleep: () => source.add(10) }).fill();
    expect(batch.length).toBeGreaterThan(3);
  });

  it('after a take that found the queue dry, waits before taking again', async () => {
    const source = new FakeSource();
    source.add(2);
    let sleeps = 0;
    // two jobs arrive during each wait; the window fills up after a few
    const batch = await windowOn(source, {
      maxJobs: 40,
      onSleep: () => {
        sleeps += 1;
        source.add(2);
      },
    }).fill();
    expect(batch).toHaveLength(10);
    // one take per wait, plus the first: never a take straight after one that came back short
    expect(source.takes).toBe(sleeps + 1);
  });

  it('closes the window at FLUSH_INTERVAL_MS however little came', async () => {
    const source = new FakeSource();
    source.add(1);
    // a window already over: the first job goes alone, without another take
    const batch = await windowOn(source, { intervalMs: -1 }).fill();
    expect(batch).toHaveLength(1);
    expect(source.takes).toBe(0);
  });

  it('closes the window on the monotonic clock: a wall clock stepped back does not hold the batch', async () => {
    const source = new FakeSource();
    source.add(1);
    let clock: { restore(): void } | undefined;
    const window = new BatchWindow({
      source,
      maxJobs: 100,
      intervalMs: 50,
      sleep: (ms) => {
        clock ??= stepWallClock(-HOUR_MS);
        return new Promise((resolve) => setTimeout(resolve, ms));
      },
      stopping: () => false,
    });
    try {
      const outcome = await Promise.race([
        window.fill().then((batch) => batch.length),
        new Promise((resolve) => setTimeout(() => resolve('still open after 2 s'), 2000).unref()),
      ]);
      expect(outcome).toBe(1);
    } finally {
      clock?.restore();
    }
  });

  it('closes the window once the consumer stops', async () => {
    const source = new FakeSource();
    source.add(1);
    let stopping = false;
    const window = new BatchWindow({
      source,
      maxJobs: 100,
      intervalMs: 60_000,
      sleep: () => {
        stopping = true;
        return Promise.resolve();
      },
      stopping: () => stopping,
    });
    expect(await window.fill()).toHaveLength(1);
  });
});
