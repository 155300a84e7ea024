import type { ConsumerEmitter } from './consumer-events';

export interface LockKeeperOptions {
  /** extends the locks of these jobs by a lock duration; answers the ids it could not extend */
  extend: (ids: readonly string[]) => Promise<readonly string[]>;
  /** job locks last this long */
  lockDurationMs: number;
  events: ConsumerEmitter;
}

/**
 * Keeps the job locks of an open batch alive (every third of a lock duration) while the batch
 * is being committed, however long the store takes: its jobs are not re-delivered meanwhile.
 */
export class LockKeeper {
  constructor(private readonly opts: LockKeeperOptions) {}

  /** Runs `work` with the locks of `ids` kept alive until it ends. */
  async whileOpen<T>(ids: readonly string[], work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => void this.extend(ids), Math.floor(this.opts.lockDurationMs / 3));
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  private async extend(ids: readonly string[]): Promise<void> {
    try {
      const failed = await this.opts.extend(ids);
      if (failed.length > 0) this.opts.events.emit('locksLost', { count: failed.length });
    } catch (err) {
      this.opts.events.emit('lockExtensionFailed', { err });
    }
  }
}
