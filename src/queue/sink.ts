import type { StatsEvent } from '../stats/types';

/**
 * Where the proxy hands its stats events. `record` resolves once the event is *accepted*:
 * durable in Redis or in the local outbox. The proxy answers its client only after that.
 */
export interface StatsSink {
  record(event: StatsEvent): Promise<void>;
  close(): Promise<void>;
}

/** Keeps events in memory. For tests, and for tools that inspect what the proxy emitted. */
export class MemorySink implements StatsSink {
  readonly events: StatsEvent[] = [];

  async record(event: StatsEvent): Promise<void> {
    this.events.push(event);
  }

  async close(): Promise<void> {}
}
