import { z } from 'zod';
import { issuesOf, packStatsSchema } from '../stats/schema';
import type { StatsEvent } from '../stats/types';
import type { ErrorCode } from '../errors/registry';

/**
 * The shape of a stats event as it travels through Redis and the outbox. The worker decodes
 * every job with it: whatever does not fit is an InvalidEventError, dead-lettered with its
 * reason instead of being counted wrong or retried forever.
 */

const common = {
  eventId: z.uuid(),
  keystem: z.string().min(1).max(200),
  at: z.number().int().positive(),
};

const packEvent = z
  .object({ kind: z.literal('pack'), ...common, stats: packStatsSchema })
  .refine((e) => e.keystem === e.stats.usedKeystem, { message: 'keystem differs from stats.usedKeystem' });

const resetEvent = z.object({ kind: z.literal('reset'), ...common });

const statsEvent = z.discriminatedUnion('kind', [packEvent, resetEvent]);

export class InvalidEventError extends Error {
  readonly code = 'PACPROXY_ERR_INVALID_EVENT' satisfies ErrorCode;
  constructor(readonly reason: string) {
    super(`invalid stats event: ${reason}`);
    this.name = 'InvalidEventError';
  }
}

/** Job data for an event. The event is plain JSON already; BullMQ serialises it. */
export function encodeEvent(event: StatsEvent): StatsEvent {
  return event;
}

/** Validates job data (or an outbox line) and returns the event; throws InvalidEventError. */
export function decodeEvent(data: unknown): StatsEvent {
  const parsed = statsEvent.safeParse(data);
  if (parsed.success) return parsed.data as StatsEvent;
  throw new InvalidEventError(issuesOf(parsed.error));
}
