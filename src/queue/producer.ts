import type { Queue } from 'bullmq';
import { OutageLog } from '../log/outage-log';
import { FAULT_HINTS, topologyFaultOf, type RedisClient, type RedisTopologyFault } from './redis';
import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/metrics';
import type { StatsEvent } from '../stats/types';
import { withTimeout } from '../util/with-timeout';
import { encodeJob, jobName } from './event-codec';
import { JobAdds, type NewJob } from './job-adds';
import { ReplicaAcks } from './replica-acks';
import type { Outbox } from './outbox';
import { shardLayout, shardOf } from './shard';
import type { DegradedPart, SinkHealth, StatsSink } from './sink';

export interface QueueSinkOptions {
  /** a fail-fast connection (see redis.ts); the sink does not close it */
  redis: RedisClient;
  /** the shard queues, index = shard (createShardQueues) */
  queues: readonly Queue[];
  outbox: Outbox;
  enqueueTimeoutMs: number;
  logger: Logger;
  metrics?: Metrics;
  /** how often, while Redis fails or the outbox holds events, Redis is tried again */
  replayIntervalMs?: number;
  /** the most events one job carries (default 100) */
  maxEventsPerJob?: number;
  /**
   * Redis has replicas that may be promoted (Cluster, Sentinel): a job counts as in Redis only
   * once a replica has it too (replica-acks.ts), so a master's death loses no accepted event.
   */
  replicated?: boolean;
}

interface Waiting {
  event: StatsEvent;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The proxy's stats sink. An event is accepted once it is in its shard's queue in Redis or,
 * if Redis does not take it within ENQUEUE_TIMEOUT_MS, fsync'd in the local outbox.
 *
 * Group commit: the events of one shard recorded in the same event-loop turn, or while the
 * shard's previous job was on its way (up to `maxEventsPerJob`), go to Redis as ONE job, one
 * script call; each `record` resolves when its job is in Redis. Exactly-once rests on the
 * event ids in the store's ledger, not on job ids.
 *
 * Once Redis fails, events go to the outbox until a background loop finds Redis answering
 * again; from then on new events go to Redis while the loop drains the outbox behind them.
 * Stores order a reset against pack events by `at`, except that a reset applied after newer
 * events of its keystem would wipe them: so while the outbox holds a reset, that keystem's
 * events follow it into the outbox.
 */
export class QueueSink implements StatsSink {
  private readonly replayIntervalMs: number;
  private readonly maxEventsPerJob: number;
  /** shard → events recorded this turn, not yet sent */
  private readonly gathering = new Map<number, Waiting[]>();
  private sendScheduled = false;
  /** shards with a job on its way to Redis */
  private readonly inFlight = new Set<number>();
  /** the last enqueue failure, until Redis answers again: events go straight to the outbox */
  private redisFailure: unknown = null;
  private replayTimer: NodeJS.Timeout | null = null;
  private replaying: Promise<void> | null = null;
  private closed = false;
  private fault: RedisTopologyFault | null = null;
  private readonly replayOutage: OutageLog;
  /** per shard, index = shard */
  private readonly adds: JobAdds[];
  private readonly replicaAcks: ReplicaAcks | null;

  constructor(private readonly opts: QueueSinkOptions) {
    this.adds = opts.queues.map((queue) => new JobAdds(opts.redis, queue));
    this.replicaAcks = opts.replicated
      ? new ReplicaAcks(opts.redis, { timeoutMs: opts.enqueueTimeoutMs })
      : null;
    this.replayIntervalMs = opts.replayIntervalMs ?? 250;
    this.maxEventsPerJob = opts.maxEventsPerJob ?? 100;
    this.replayOutage = new OutageLog(opts.logger, {
      down: 'outbox replay failing: Redis does not take the events; they stay in the outbox',
      up: 'outbox replay working again',
    });
    this.updateDepth();
    this.scheduleReplay();
  }

  async record(event: StatsEvent): Promise<void> {
    const { outbox, metrics } = this.opts;
    const held = outbox.holdsResetOf(event.keystem);
    const triedRedis = !held && this.redisFailure === null;
    if (triedRedis && (await this.tryRedis(event))) return;
    try {
      await outbox.append(event);
    } catch (err) {
      // the outbox has no room: Redis may be back before the replay loop noticed
      if (held || triedRedis || !(await this.tryRedis(event))) throw err;
      return;
    }
    metrics?.eventsOutboxed.inc();
    this.updateDepth();
    this.scheduleReplay();
  }

  /** Whether Redis took the event; a failure sends later events to the outbox until it answers. */
  private async tryRedis(event: StatsEvent): Promise<boolean> {
    try {
      await this.enqueue(event);
    } catch (err) {
      const fault = topologyFaultOf(err);
      this.fault = fault ?? this.fault; // a fault is known until Redis takes events again
      this.opts.metrics?.enqueueFailures.inc({ reason: fault ?? 'unavailable' });
      if (this.redisFailure === null) {
        this.opts.logger.warn({ err }, 'Redis did not take a stats event; using the outbox until it does');
      }
      this.redisFailure = err;
      this.scheduleReplay();
      return false;
    }
    this.redisFailure = null;
    this.fault = null;
    this.opts.metrics?.eventsEnqueued.inc();
    return true;
  }

  /**
   * Accepting while Redis takes events, or while the outbox has room — unless Redis refuses
   * events for its topology (a misconfiguration or a failover in progress, not an outage): the
   * outbox would then never drain, so the proxy is not ready until Redis takes events again.
   */
  async health(): Promise<SinkHealth> {
    const { redis, outbox, enqueueTimeoutMs } = this.opts;
    const degraded: DegradedPart[] = [];
    let failure = this.redisFailure;
    if (failure === null) {
      failure = await withTimeout(redis.ping(), enqueueTimeoutMs, 'Redis ping').then(
        () => null,
        (err: unknown) => err,
      );
    }
    if (this.fault) {
      degraded.push({
        part: 'redis',
        reason: `Redis refuses stats events (${this.fault}): ${FAULT_HINTS[this.fault]}`,
      });
    } else if (failure !== null) {
      degraded.push({ part: 'redis', reason: failure instanceof Error ? failure.message : String(failure) });
    }
    const outboxRoom = await outbox.hasRoom();
    if (!outboxRoom) degraded.push({ part: 'outbox', reason: 'no room left on its filesystem' });
    const accepting = this.fault === null && (failure === null || outboxRoom);
    return { accepting, degraded };
  }

  /** Sends what is gathered, stops replaying; what the outbox holds stays for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    this.sendAll();
    if (this.replayTimer) clearTimeout(this.replayTimer);
    await this.replaying;
  }

  /** Resolves once the event's job is in Redis. */
  private enqueue(event: StatsEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      const shard = shardOf(event.keystem, this.opts.queues.length);
      let list = this.gathering.get(shard);
      if (!list) this.gathering.set(shard, (list = []));
      list.push({ event, resolve, reject });
      if (list.length >= this.maxEventsPerJob) this.send(shard);
      else if (!this.sendScheduled) {
        // after this turn's I/O callbacks: every event recorded in the turn joins its shard's job
        this.sendScheduled = true;
        setImmediate(() => this.sendAll());
      }
    });
  }

  private sendAll(): void {
    this.sendScheduled = false;
    for (const shard of [...this.gathering.keys()]) this.send(shard);
  }

  /**
   * Sends the shard's gathered events as one job, unless a job of the shard is still on its way:
   * then they wait for it (and more join them), so under load jobs grow instead of round trips
   * multiplying, and a shard's jobs reach Redis in the order they were sent.
   */
  private send(shard: number): void {
    const gathered = this.gathering.get(shard);
    if (!gathered || this.inFlight.has(shard)) return;
    const waiting = gathered.splice(0, this.maxEventsPerJob);
    if (gathered.length === 0) this.gathering.delete(shard);
    this.inFlight.add(shard);
    const events = waiting.map((w) => w.event);
    withTimeout(this.addJob(shard, events), this.opts.enqueueTimeoutMs, 'Redis enqueue').then(
      () => {
        waiting.forEach((w) => w.resolve());
        this.inFlight.delete(shard);
        this.send(shard);
      },
      (err: unknown) => {
        // Redis failed this job: those gathered behind it would wait for it, then fail alike
        const behind = this.gathering.get(shard) ?? [];
        this.gathering.delete(shard);
        this.inFlight.delete(shard);
        [...waiting, ...behind].forEach((w) => w.reject(err));
      },
    );
  }

  private async addJob(shard: number, events: readonly StatsEvent[]): Promise<void> {
    await this.addsOf(shard).add([newJob(events)]);
    await this.replicate(shard);
  }

  /** With replicas: until one has the shard's writes so far (see `replicated`). */
  private async replicate(shard: number): Promise<void> {
    await this.replicaAcks?.wait(shardLayout(shard).leaseKey);
  }

  private addsOf(shard: number): JobAdds {
    const adds = this.adds[shard];
    if (!adds) throw new Error(`no queue for shard ${shard}`);
    return adds;
  }

  private scheduleReplay(): void {
    if (this.closed || this.replayTimer || this.replaying) return;
    if (this.redisFailure === null && this.opts.outbox.isEmpty()) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = null;
      this.replaying = this.replay().finally(() => {
        this.replaying = null;
        this.scheduleReplay();
      });
    }, this.replayIntervalMs);
  }

  /** Once Redis answers: new events go to Redis again, and the outbox drains behind them. */
  private async replay(): Promise<void> {
    try {
      await withTimeout(this.opts.redis.ping(), this.opts.enqueueTimeoutMs, 'Redis ping');
      this.redisFailure = null;
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

  /** Adds replayed events as jobs of up to maxEventsPerJob, per shard, in their order. */
  private async enqueueMany(events: readonly StatsEvent[]): Promise<void> {
    const byShard = new Map<number, StatsEvent[]>();
    for (const event of events) {
      const shard = shardOf(event.keystem, this.opts.queues.length);
      const list = byShard.get(shard);
      if (list) list.push(event);
      else byShard.set(shard, [event]);
    }
    await Promise.all(
      [...byShard].map(([shard, list]) => {
        const jobs: NewJob[] = [];
        for (let i = 0; i < list.length; i += this.maxEventsPerJob) {
          jobs.push(newJob(list.slice(i, i + this.maxEventsPerJob)));
        }
        return this.addsOf(shard)
          .add(jobs)
          .then(() => this.replicate(shard));
      }),
    );
    this.opts.metrics?.eventsEnqueued.inc(events.length);
  }

  private updateDepth(): void {
    this.opts.metrics?.outboxDepth.set(this.opts.outbox.depth);
  }
}

function newJob(events: readonly StatsEvent[]): NewJob {
  return { name: jobName(events), data: JSON.stringify(encodeJob(events)) };
}
