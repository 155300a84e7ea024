import { Pauses, backoffMs } from '../../workers/pause';

describe('pauses', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('backs off from 100 ms, doubling, up to 5 s', () => {
    expect([0, 1, 2, 5, 6, 20].map(backoffMs)).toEqual([100, 200, 400, 3200, 5000, 5000]);
  });

  it('cancel ends the pause under way and every later one', async () => {
    const pauses = new Pauses();
    let ended = false;
    const pause = pauses.sleep(60_000).then(() => (ended = true));
    await jest.advanceTimersByTimeAsync(1000);
    expect(ended).toBe(false);
    pauses.cancel();
    await pause;
    expect(ended).toBe(true);
    // no timer left to run: a later pause ends at once
    await pauses.sleep(60_000);
    expect(jest.getTimerCount()).toBe(0);
  });
});
