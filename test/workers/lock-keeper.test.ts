import { EventEmitter } from 'node:events';
import type { ConsumerEmitter, ConsumerEvents } from '../../workers/consumer-events';
import { LockKeeper } from '../../workers/lock-keeper';

function keeperOf(extend: (ids: readonly string[]) => Promise<readonly string[]>, lockDurationMs = 3000) {
  const events: ConsumerEmitter = new EventEmitter<ConsumerEvents>();
  return { keeper: new LockKeeper({ extend, lockDurationMs, events }), events };
}

describe('LockKeeper', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('extends the locks of the jobs held every third of a lock duration, until they are released', async () => {
    const extended: Array<readonly string[]> = [];
    const { keeper } = keeperOf((ids) => {
      extended.push(ids);
      return Promise.resolve([]);
    });
    keeper.hold(['1', '2']);
    await jest.advanceTimersByTimeAsync(1000);
    // the next batch, taken while the first commits, is kept alive with it
    keeper.hold(['3']);
    await jest.advanceTimersByTimeAsync(1000);
    keeper.release(['1', '2']);
    await jest.advanceTimersByTimeAsync(1000);
    expect(extended).toEqual([['1', '2'], ['1', '2', '3'], ['3']]);
    keeper.release(['3']);
    await jest.advanceTimersByTimeAsync(3000);
    expect(extended).toHaveLength(3);
  });

  it('tells of locks it could not extend, and of a failed extension', async () => {
    const lost: number[] = [];
    const failures: unknown[] = [];
    let call = 0;
    const { keeper, events } = keeperOf(
      (ids) =>
        ++call === 1 ? Promise.resolve(ids.slice(1)) : Promise.reject(new Error('Connection is closed.')),
      300,
    );
    events.on('locksLost', ({ count }) => lost.push(count));
    events.on('lockExtensionFailed', ({ err }) => failures.push(err));
    keeper.hold(['1', '2', '3']);
    await jest.advanceTimersByTimeAsync(200);
    keeper.release(['1', '2', '3']);
    expect(lost).toEqual([2]);
    expect(failures).toEqual([new Error('Connection is closed.')]);
  });

  it('does not count the lock of a job released while its extension was on its way (completed meanwhile)', async () => {
    const lost: number[] = [];
    const { keeper, events } = keeperOf((ids) => {
      // the batch of jobs 1 and 2 is completed (locks deleted) before the extension reaches Redis
      keeper.release(['1', '2']);
      return Promise.resolve(ids.filter((id) => id !== '3'));
    }, 300);
    events.on('locksLost', ({ count }) => lost.push(count));
    keeper.hold(['1', '2', '3']);
    await jest.advanceTimersByTimeAsync(100);
    expect(lost).toEqual([]);
    keeper.close();
  });

  it('extends nothing once closed, even jobs held after (a take that was in flight)', async () => {
    const extended: string[] = [];
    const { keeper } = keeperOf((ids) => {
      extended.push(...ids);
      return Promise.resolve([]);
    }, 300);
    keeper.hold(['1']);
    keeper.close();
    keeper.hold(['2']);
    await jest.advanceTimersByTimeAsync(1000);
    expect(extended).toEqual([]);
  });
});
