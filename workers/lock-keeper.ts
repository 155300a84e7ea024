import type { ConsumerEmitter } from './consumer-events';

export interface LockKeeperOptions {
  /** extends the locks of these jobs by a lock duration; answers the ids it could not extend */
  extend: (ids: readonly string[]) => Promise<readonly string[]>;
  /** job locks last this long */
  lockDurationMs: number;
  events: ConsumerEmitter;
}

/**
 * Keeps the job locks of the jobs a consumer holds (its open batch, and the next one taken
 * while that commits) alive, every third of a lock duration, however long the store takes:
 * its jobs are not re-delivered meanwhile. Jobs are held from their take until their batch is
 * completed or dropped.
 */
export class LockKeeper {
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: LockKeeperOptions) {}

  hold(ids: readonly string[]): void {
    if (this.closed) return;
    for (const id of ids) this.held.add(id);
    this.timer ??= setInterval(() => void this.extend(), Math.floor(this.opts.lockDurationMs / 3));
  }

  release(ids: readonly string[]): void {
    for (const id of ids) this.held.delete(id);
    if (this.held.size === 0) this.stopTimer();
  }

  /** Stops for good (the consumer stopped or lost its lease): nothing is extended after. */
  close(): void {
    this.closed = true;
    this.held.clear();
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async extend(): Promise<void> {
    try {
      const failed = await this.opts.extend([...this.held]);
      // a job released meanwhile was completed (its lock deleted) before the extension reached
      // Redis: its lock was not lost
      const lost = failed.filter((id) => this.held.has(id));
      if (lost.length > 0) this.opts.events.emit('locksLost', { count: lost.length });
    } catch (err) {
      this.opts.events.emit('lockExtensionFailed', { err });
    }
  }
}
