import { z } from 'zod';
import { compiledCheck } from '../stats/compiled-check';
import { issuesOf, packStatsSchema } from '../stats/schema';
import type { StatsEvent } from '../stats/types';
import type { ErrorCode } from '../errors/registry';

/**
 * The shape of stats events as they travel through Redis and the outbox. A job carries the
 * events of one shard accepted together (group commit): `{events: [...]}`. Jobs written by
 * earlier versions carry one bare event and still decode. The worker decodes every job with
 * it: an event that does not fit is an InvalidEventError, dead-lettered with its reason
 * instead of being counted wrong or retried forever.
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

/** The fast acceptance of events in this version's shape (compiled-check.ts). */
const currentShape = compiledCheck(statsEvent);

/** Compiles the event check now: a worker does it at its start, not in its first batch. */
export function prepareEventDecoding(): void {
  currentShape.prepare();
}

/**
 * What the compiled check cannot see: the refinement, and a `__proto__` key in a map (zod renames
 * it as the stores keep it, see schema.ts).
 */
function acceptedAsIs(data: unknown): data is StatsEvent {
  if (!currentShape(data)) return false;
  const event = data as StatsEvent;
  if (event.kind === 'reset') return true;
  const { stats } = event;
  return (
    event.keystem === stats.usedKeystem &&
    !Object.hasOwn(stats.boxTypes, '__proto__') &&
    !Object.hasOwn(stats.boxTypeStats, '__proto__')
  );
}

export class InvalidEventError extends Error {
  readonly code = 'PACPROXY_ERR_INVALID_EVENT' satisfies ErrorCode;
  constructor(readonly reason: string) {
    super(`invalid stats event: ${reason}`);
    this.name = 'InvalidEventError';
  }
}

/** Job data: the events of one job, in acceptance order. Plain JSON; BullMQ serialises it. */
export interface JobData {
  events: StatsEvent[];
}

/** The job name Bull Board lists: what the job carries, e.g. `3 pack, 1 reset`. */
export function jobName(events: readonly StatsEvent[]): string {
  const resets = events.filter((e) => e.kind === 'reset').length;
  const packs = events.length - resets;
  return [packs > 0 ? `${packs} pack` : '', resets > 0 ? `${resets} reset` : ''].filter(Boolean).join(', ');
}

export function encodeJob(events: readonly StatsEvent[]): JobData {
  return { events: [...events] };
}

/** What a job held: the events that decode, and for each one that does not, why. */
export interface DecodedJob {
  events: StatsEvent[];
  /** each event that does not decode: its place in the job, its data, why */
  invalid: Array<{ index: number; data: unknown; reason: string }>;
}

/** Decodes a job's data, of this version (many events) or of an earlier one (one bare event). */
export function decodeJob(data: unknown): DecodedJob {
  const list = isJobData(data) ? data.events : [data];
  const decoded: DecodedJob = { events: [], invalid: [] };
  list.forEach((item, index) => {
    try {
      decoded.events.push(decodeEvent(item));
    } catch (err) {
      if (!(err instanceof InvalidEventError)) throw err;
      decoded.invalid.push({ index, data: item, reason: err.reason });
    }
  });
  return decoded;
}

function isJobData(data: unknown): data is { events: unknown[] } {
  return typeof data === 'object' && data !== null && Array.isArray((data as { events?: unknown }).events);
}

/** Validates job data (or an outbox line) and returns the event; throws InvalidEventError. */
export function decodeEvent(data: unknown): StatsEvent {
  if (acceptedAsIs(data)) return data;
  const parsed = statsEvent.safeParse(data);
  if (parsed.success) return parsed.data as StatsEvent;
  throw new InvalidEventError(issuesOf(parsed.error));
}
