import type { Queue } from 'bullmq';
import { OutageLog } from '../log/outage-log';
import { topologyFaultOf, type RedisClient, type RedisTopologyFault } from './redis';
import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/metrics';
import type { StatsEvent } from '../stats/types';
import { withTimeout } from '../util/with-timeout';
import { encodeEvent } from './event-codec';
import type { Outbox } from './outbox';
import { shardOf } from './shard';
import type { StatsSink } from './sink';

export interface QueueSinkOptions {
  /** a fail-fast connection (see redis.ts); the sink does not close it */
  redis: RedisClient;
  /** the shard queues, index = shard (createShardQueues) */
  queues: readonly Queue[];
  outbox: Outbox;
  enqueueTimeoutMs: number;
  logger: Logger;
  metrics?: Metrics;
  /** how often a non-empty outbox tries Redis again */
  replayIntervalMs?: number;
}

/**
 * The proxy's stats sink. An event is accepted once it is in its shard's queue in Redis or,
 * if Redis does not take it within ENQUEUE_TIMEOUT_MS, fsync'd in the local outbox. While the
 * outbox holds events, new events go there too (so a keystem's events and resets stay in
 * order); a background loop replays the outbox into Redis (same job ids: idempotent) and then
 * switches back to Redis.
 */
export class QueueSink implements StatsSink {
  private readonly replayIntervalMs: number;
  private replayTimer: NodeJS.Timeout | null = null;
  private replaying: Promise<void> | null = null;
  private closed = false;
  private fault: RedisTopologyFault | null = null;
  private readonly replayOutage: OutageLog;

  constructor(private readonly opts: QueueSinkOptions) {
    this.replayIntervalMs = opts.replayIntervalMs ?? 250;
    this.replayOutage = new OutageLog(opts.logger, {
      down: 'outbox replay failing: Redis does not take the events; they stay in the outbox',
      up: 'outbox replay working again',
    });
    this.updateDepth();
    if (!opts.outbox.isEmpty()) this.scheduleReplay();
  }

  async record(event: StatsEvent): Promise<void> {
    if (this.opts.outbox.isEmpty()) {
      try {
        await withTimeout(this.enqueue(event), this.opts.enqueueTimeoutMs, 'Redis enqueue');
        this.opts.metrics?.eventsEnqueued.inc();
        this.fault = null;
        return;
      } catch (err) {
        const fault = topologyFaultOf(err);
        this.fault = fault ?? this.fault;
        this.opts.metrics?.enqueueFailures.inc({ reason: fault ?? 'unavailable' });
        if (this.opts.outbox.isEmpty()) {
          this.opts.logger.warn({ err }, 'Redis did not take a stats event; using the outbox until it does');
        }
      }
    }
    await this.opts.outbox.append(event);
    this.opts.metrics?.eventsOutboxed.inc();
    this.updateDepth();
    this.scheduleReplay();
  }

  topologyFault(): RedisTopologyFault | null {
    return this.fault;
  }

  /** Stops replaying; what the outbox holds stays on disk for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.replayTimer) clearTimeout(this.replayTimer);
    await this.replaying;
  }

  private enqueue(event: StatsEvent): Promise<unknown> {
    const queue = this.queueFor(event);
    return queue.add(event.kind, encodeEvent(event), { jobId: event.eventId });
  }

  private queueFor(event: StatsEvent): Queue {
    const queue = this.opts.queues[shardOf(event.keystem, this.opts.queues.length)];
    if (!queue) throw new Error(`no queue for keystem ${event.keystem}`);
    return queue;
  }

  private scheduleReplay(): void {
    if (this.closed || this.replayTimer || this.replaying) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = null;
      this.replaying = this.replay().finally(() => {
        this.replaying = null;
        if (!this.opts.outbox.isEmpty()) this.scheduleReplay();
      });
    }, this.replayIntervalMs);
  }

  private async replay(): Promise<void> {
    try {
      await withTimeout(this.opts.redis.ping(), this.opts.enqueueTimeoutMs, 'Redis ping');
      const delivered = await this.opts.outbox.drain((events) => this.enqueueMany(events));
      if (delivered > 0) this.opts.logger.info({ events: delivered }, 'outbox replayed into Redis');
      this.fault = null;
      this.replayOutage.recovered();
    } catch (err) {
      const fault = topologyFaultOf(err);
      this.fault = fault ?? this.fault; // a fault is known until Redis takes events again
      this.opts.metrics?.outboxReplayFailures.inc({ reason: fault ?? 'unavailable' });
      this.replayOutage.failed(err, { fault });
    } finally {
      this.updateDepth();
    }
  }

  /** Adds events to their queues, one bulk add per shard; order within a shard is kept. */
  private async enqueueMany(events: StatsEvent[]): Promise<void> {
    const byQueue = new Map<Queue, StatsEvent[]>();
    for (const event of events) {
      const queue = this.queueFor(event);
      const list = byQueue.get(queue);
      if (list) list.push(event);
      else byQueue.set(queue, [event]);
    }
    await Promise.all(
      [...byQueue].map(([queue, list]) =>
        queue.addBulk(list.map((e) => ({ name: e.kind, data: encodeEvent(e), opts: { jobId: e.eventId } }))),
      ),
    );
    this.opts.metrics?.eventsEnqueued.inc(events.length);
  }

  private updateDepth(): void {
    this.opts.metrics?.outboxDepth.set(this.opts.outbox.depth);
  }
}
