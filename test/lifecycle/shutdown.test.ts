import { describeAbandoned, runShutdown, type ShutdownStep } from '../../src/lifecycle/shutdown';
import { HOUR_MS, stepWallClock } from '../helpers/wall-clock';

const never = () => new Promise<void>(() => undefined);

describe('runShutdown', () => {
  it('runs every step in order and reports nothing when all finish', async () => {
    const ran: string[] = [];
    const step = (name: string): ShutdownStep => ({ name, run: async () => void ran.push(name) });
    const report = await runShutdown([step('a'), step('b'), step('c')], 1000);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(report.abandoned).toEqual([]);
  });

  it('runs the steps after one that fails and one that hangs, and names both', async () => {
    const ran: string[] = [];
    const report = await runShutdown(
      [
        { name: 'fails', run: () => Promise.reject(new Error('Redis not answering')) },
        { name: 'hangs', timeoutMs: 50, run: never },
        { name: 'last', run: async () => void ran.push('last') },
      ],
      5000,
    );
    expect(ran).toEqual(['last']);
    expect(report.abandoned.map((a) => a.name)).toEqual(['fails', 'hangs']);
    expect(report.abandoned[0]!.why).toBe('Redis not answering');
    expect(describeAbandoned(report)).toMatch(
      /^fails \(Redis not answering\), hangs \(timed out after 50 ms\)$/,
    );
  });

  it('keeps the whole stop within the overall deadline: later steps get what is left, or nothing', async () => {
    const ran: string[] = [];
    const report = await runShutdown(
      [
        { name: 'hangs', run: never },
        { name: 'after', run: async () => void ran.push('after') },
      ],
      100,
    );
    expect(ran).toEqual([]);
    expect(report.abandoned).toEqual([
      { name: 'hangs', why: expect.stringMatching(/^timed out/) },
      { name: 'after', why: 'no time left' },
    ]);
  });

  it('keeps its deadline on the monotonic clock: a wall clock stepped forward skips no step', async () => {
    let clock: { restore(): void } | undefined;
    const ran: string[] = [];
    try {
      const report = await runShutdown(
        [
          // the wall clock jumps an hour ahead while the first step runs
          { name: 'first', run: async () => void (clock = stepWallClock(HOUR_MS)) },
          { name: 'second', run: async () => void ran.push('second') },
        ],
        5000,
      );
      expect(report.abandoned).toEqual([]);
      expect(ran).toEqual(['second']);
    } finally {
      clock?.restore();
    }
  });
});
