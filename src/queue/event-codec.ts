import { z } from 'zod';
import type { StatsEvent } from '../stats/types';

/**
 * The shape of a stats event as it travels through Redis and the outbox. The worker decodes
 * every job with it: whatever does not fit is an InvalidEventError, dead-lettered with its
 * reason instead of being counted wrong or retried forever.
 */

const count = z.number().int().nonnegative();
const amount = z.number().nonnegative().finite();

const packStats = z.object({
  usedKeystem: z.string().min(1).max(200),
  totalItems: count,
  totalVolume: amount,
  volumeUtilization: amount,
  boxTypes: z.record(z.string(), count),
  timeStamp: z.string().min(1).max(64),
  cacheHit: z.boolean(),
  requestError: z.boolean(),
  errorResponse: z.boolean(),
  statusCode: z.string().regex(/^\d{1,3}$/),
  latency: amount,
  // Cost and packing quality: absent from events written by versions before them (still in a
  // Redis or an outbox at upgrade), which then count as answers that carried none.
  totalCost: amount.nullable().default(null),
  boxes: count.default(0),
  leftovers: count.default(0),
  totalWeight: amount.default(0),
  packTime: amount.nullable().default(null),
  boxTypeStats: z
    .record(
      z.string(),
      z.object({ volumeUtilizationSum: amount, volumeUtilizationCount: count, totalCost: amount }),
    )
    .default({}),
  boxTypeChoiceGoalUsed: z.string().min(1).max(64).nullable().default(null),
  warnings: count.default(0),
});

const common = {
  eventId: z.uuid(),
  keystem: z.string().min(1).max(200),
  at: z.number().int().positive(),
};

const packEvent = z
  .object({ kind: z.literal('pack'), ...common, stats: packStats })
  .refine((e) => e.keystem === e.stats.usedKeystem, { message: 'keystem differs from stats.usedKeystem' });

const resetEvent = z.object({ kind: z.literal('reset'), ...common });

const statsEvent = z.discriminatedUnion('kind', [packEvent, resetEvent]);

export class InvalidEventError extends Error {
  readonly code = 'PACPROXY_ERR_INVALID_EVENT';
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
  const reason = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`)
    .join('; ');
  throw new InvalidEventError(reason);
}
