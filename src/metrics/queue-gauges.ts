import type { Queue } from 'bullmq';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../log/logger';
import { OutageLog } from '../log/outage-log';
import { withTimeout } from '../util/with-timeout';

export interface QueueGaugesOptions {
  registry: Registry;
  /** every shard queue and the dead-letter queue */
  queues: readonly Queue[];
  logger: Logger;
  /** a scrape gives up on Redis after this long and reports `pacproxy_queue_stats_up 0` */
  timeoutMs?: number;
}

/** The job states reported per queue, as BullMQ's getJobCounts names them. */
const STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

interface QueueSnapshot {
  queue: string;
  counts: Record<string, number>;
  /** ms since the epoch of the job waiting longest; null when none waits */
  oldestWaitingAt: number | null;
}

/**
 * Queue depth and the age of the oldest waiting job per queue, read from Redis when Prometheus
 * scrapes (not on a timer): two small commands per queue, all queues in parallel, one read per
 * scrape shared by the gauges, bounded by a timeout so a dead Redis cannot hang /metrics.
 */
export class QueueGauges {
  private readonly queues: readonly Queue[];
  private readonly timeoutMs: number;
  private readonly outage: OutageLog;
  private inflight: Promise<QueueSnapshot[] | null> | null = null;

  constructor(options: QueueGaugesOptions) {
    this.queues = options.queues;
    this.outage = new OutageLog(options.logger, {
      down: 'queue metrics unavailable: Redis did not answer',
      up: 'queue metrics readable again',
    });
    this.timeoutMs = options.timeoutMs ?? 1000;
    const registers = [options.registry];
    const read = () => this.snapshot();

    new Gauge({
      name: 'pacproxy_queue_depth',
      help: 'Jobs in a stats queue by state, read at scrape time',
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        const snapshots = await read();
        this.reset();
        for (const s of snapshots ?? []) {
          for (const state of STATES) this.set({ queue: s.queue, state }, s.counts[state] ?? 0);
        }
      },
    });

    new Gauge({
      name: 'pacproxy_queue_oldest_waiting_age_seconds',
      help: 'Age of the job waiting longest in a stats queue (0 when none waits), read at scrape time',
      labelNames: ['queue'] as const,
      registers,
      async collect() {
        const snapshots = await read();
        this.reset();
        const now = Date.now();
        for (const s of snapshots ?? []) {
          this.set({ queue: s.queue }, s.oldestWaitingAt === null ? 0 : (now - s.oldestWaitingAt) / 1000);
        }
      },
    });

    new Gauge({
      name: 'pacproxy_queue_stats_up',
      help: '1 when the last scrape read every stats queue from Redis, 0 when Redis failed or was too slow',
      registers,
      async collect() {
        this.set((await read()) === null ? 0 : 1);
      },
    });
  }

  /** One Redis read per scrape: gauges collected concurrently share the same promise. */
  private snapshot(): Promise<QueueSnapshot[] | null> {
    this.inflight ??= this.readAll().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async readAll(): Promise<QueueSnapshot[] | null> {
    try {
      const snapshots = await withTimeout(
        Promise.all(this.queues.map((q) => readQueue(q))),
        this.timeoutMs,
        'queue depth read',
      );
      this.outage.recovered();
      return snapshots;
    } catch (err) {
      this.outage.failed(err);
      return null;
    }
  }
}

async function readQueue(queue: Queue): Promise<QueueSnapshot> {
  const [counts, oldest] = await Promise.all([
    queue.getJobCounts(...STATES),
    // ascending: the job that has waited longest comes first
    queue.getJobs(['wait'], 0, 0, true),
  ]);
  return { queue: queue.name, counts, oldestWaitingAt: oldest[0]?.timestamp ?? null };
}
