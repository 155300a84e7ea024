/**
 * Steps the wall clock (`Date.now`) by `ms` from now on, as NTP correcting a drifted clock or a
 * resumed VM does; the monotonic clock (`performance.now()`) runs on. `restore()` undoes it.
 */
export function stepWallClock(ms: number): { restore(): void } {
  const realNow = Date.now.bind(Date);
  const spy = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + ms);
  return { restore: () => spy.mockRestore() };
}

export const HOUR_MS = 3_600_000;
