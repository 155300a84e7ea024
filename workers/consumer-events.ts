import type { EventEmitter } from 'node:events';

/**
 * What a shard consumer tells its observers (logs, metrics, the worker's readiness, tests).
 * The consumer's parts emit these instead of logging or counting themselves; the worker
 * subscribes (consumer-log.ts, consumer-metrics.ts, its StoreHealth).
 */
export interface ConsumerEvents {
  /** a batch's store transaction (and its dead letters) done; `attempts` counts the tries */
  batchCommitted: [
    {
      events: number;
      deadLettered: number;
      applied: number;
      duplicates: number;
      stale: number;
      ms: number;
      attempts: number;
    },
  ];
  /** a try to commit a batch failed (attempt 0 is the first); the same batch is retried */
  commitFailed: [{ err: unknown; attempt: number; events: number }];
  /** the lease was lost while a batch was open: it is dropped uncompleted and re-delivered */
  batchDropped: [{ events: number }];
  /** unreadable events sent to the dead-letter queue (`reason`: the first one's) */
  deadLettered: [{ count: number; reason: string | undefined }];
  /** taking jobs from Redis failed (attempt 0 is the first of a run of failures) */
  fetchFailed: [{ err: unknown; attempt: number }];
  /** completing a committed batch failed: its jobs come back when their locks expire */
  completionFailed: [{ err: unknown; jobs: number }];
  /** completions refused (the lock passed to another worker), with the first one's code */
  completionsRefused: [{ count: number; code: number }];
  /** locks of an open batch that could not be extended */
  locksLost: [{ count: number }];
  /** extending the locks of an open batch failed (Redis) */
  lockExtensionFailed: [{ err: unknown }];
  /** jobs of a dead or paused owner returned to the queue, counted per stalled check */
  stalledSeen: [{ count: number }];
  /** a Redis call of the shard outlived its deadline: the shard's connection was replaced */
  connectionReplaced: [{ err: unknown }];
  /** BullMQ's worker reported an error (its connection, mostly) */
  queueError: [{ err: unknown }];
  /** the consumer's loop ended by an error it did not expect */
  crashed: [{ err: unknown }];
}

/** Node's emitter, typed by the events above. Listeners run synchronously and must not throw. */
export type ConsumerEmitter = EventEmitter<ConsumerEvents>;
