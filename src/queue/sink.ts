import { z } from 'zod';
import type { StatsEvent } from '../stats/types';

/** A part of the write path that does not work as it should, and why (for /readyz). */
export const degradedPartSchema = z.object({
  part: z.enum(['redis', 'outbox', 'store']),
  reason: z.string(),
});
export type DegradedPart = z.infer<typeof degradedPartSchema>;

/** Whether the sink can accept (and so the proxy record) events now. */
export interface SinkHealth {
  accepting: boolean;
  degraded: DegradedPart[];
}

/**
 * Where the proxy hands its stats events. `record` resolves once the event is *accepted*:
 * durable in Redis or in the local outbox. The proxy answers its client only after that.
 */
export interface StatsSink {
  record(event: StatsEvent): Promise<void>;
  health(): Promise<SinkHealth>;
  close(): Promise<void>;
}

/** Keeps events in memory. For tests, and for tools that inspect what the proxy emitted. */
export class MemorySink implements StatsSink {
  readonly events: StatsEvent[] = [];

  async record(event: StatsEvent): Promise<void> {
    this.events.push(event);
  }

  async health(): Promise<SinkHealth> {
    return { accepting: true, degraded: [] };
  }

  async close(): Promise<void> {}
}
