/** Retry delays: 100 ms doubling up to 5 s. */
export function backoffMs(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 5000);
}

/** Pauses that can be cut short: after cancel(), the pause under way and every later one end at once. */
export class Pauses {
  private cancelled = false;
  private wake: (() => void) | null = null;

  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.cancelled) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  cancel(): void {
    this.cancelled = true;
    this.wake?.();
  }
}
