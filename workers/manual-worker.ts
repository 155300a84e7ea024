import type { EventEmitter } from 'node:events';
import { Worker } from 'bullmq';
import type { RedisClient } from '../src/queue/redis';
import type { ShardLayout } from '../src/queue/shard';
import { dropUnheardErrors, SharedConnection } from '../src/queue/shared-connection';

/**
 * A BullMQ Worker without a processor, for manual fetching ("Manually processing jobs" in the
 * BullMQ docs): the shard consumer waits for work with its blocking `getNextJob`, extends job
 * locks through it, and lets its stalled checker return the jobs of a dead owner to the queue.
 */
export function createManualWorker(
  layout: ShardLayout,
  connection: RedisClient,
  workerId: string,
  lockDurationMs: number,
): Worker {
  const worker = new Worker(
    layout.queue,
    null,
    {
      connection,
      prefix: layout.prefix,
      name: workerId,
      autorun: false,
      lockDuration: lockDurationMs,
      // a dead owner's jobs go back to wait within a lock duration plus two checks
      stalledInterval: Math.max(500, Math.floor(lockDurationMs / 2)),
      // a re-delivery must never fail a job: stalls are bounded by leases, not by a count
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      // how long an idle fetch blocks (seconds): bounds how long a stop or handover waits for it
      drainDelay: 0.25,
    },
    SharedConnection,
  );
  // its blocking connection is BullMQ's own (a private field), made from a duplicate of ours
  dropUnheardErrors((worker as unknown as { blockingConnection: EventEmitter }).blockingConnection);
  return worker;
}
