import type { StatsEvent } from '../stats/types';
import type { RedisTopologyFault } from './redis';

/**
 * Where the proxy hands its stats events. `record` resolves once the event is *accepted*:
 * durable in Redis or in the local outbox. The proxy answers its client only after that.
 */
export interface StatsSink {
  record(event: StatsEvent): Promise<void>;
  /** Why Redis refuses events now, when it is its topology and not an outage (see redis.ts), else null. */
  topologyFault?(): RedisTopologyFault | null;
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
