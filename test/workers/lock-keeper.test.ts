import { EventEmitter } from 'node:events';
import type { ConsumerEmitter, ConsumerEvents } from '../../workers/consumer-events';
import { LockKeeper } from '../../workers/lock-keeper';

describe('LockKeeper', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('extends the locks of an open batch every third of a lock duration, and stops when it closes', async () => {
    const events: ConsumerEmitter = new EventEmitter<ConsumerEvents>();
    const extended: Array<readonly string[]> = [];
    const keeper = new LockKeeper({
      extend: (ids) => {
        extended.push(ids);
        return Promise.resolve([]);
      },
      lockDurationMs: 3000,
      events,
    });
    let finish: (value: string) => void = () => undefined;
    const open = keeper.whileOpen(['1', '2'], () => new Promise<string>((resolve) => (finish = resolve)));
    await jest.advanceTimersByTimeAsync(3000);
    expect(extended).toEqual([
      ['1', '2'],
      ['1', '2'],
      ['1', '2'],
    ]);
    finish('committed');
    expect(await open).toBe('committed');
    await jest.advanceTimersByTimeAsync(3000);
    expect(extended).toHaveLength(3);
  });

  it('tells of locks it could not extend, and of a failed extension', async () => {
    const events: ConsumerEmitter = new EventEmitter<ConsumerEvents>();
    const lost: number[] = [];
    const failures: unknown[] = [];
    events.on('locksLost', ({ count }) => lost.push(count));
    events.on('lockExtensionFailed', ({ err }) => failures.push(err));
    let call = 0;
    const keeper = new LockKeeper({
      extend: (ids) =>
        ++call === 1 ? Promise.resolve(ids.slice(1)) : Promise.reject(new Error('Connection is closed.')),
      lockDurationMs: 300,
      events,
    });
    let finish: () => void = () => undefined;
    const open = keeper.whileOpen(['1', '2', '3'], () => new Promise<void>((resolve) => (finish = resolve)));
    await jest.advanceTimersByTimeAsync(200);
    finish();
    await open;
    expect(lost).toEqual([2]);
    expect(failures).toEqual([new Error('Connection is closed.')]);
  });

  it('stops extending when the work fails', async () => {
    const extended: string[] = [];
    const keeper = new LockKeeper({
      extend: (ids) => {
        extended.push(...ids);
        return Promise.resolve([]);
      },
      lockDurationMs: 300,
      events: new EventEmitter<ConsumerEvents>(),
    });
    await expect(keeper.whileOpen(['1'], () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await jest.advanceTimersByTimeAsync(1000);
    expect(extended).toEqual([]);
  });
});
