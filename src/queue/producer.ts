import type { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import { OutageLog } from '../log/outage-log';
import { FAULT_HINTS, topologyFaultOf, type RedisClient, type RedisTopologyFault } from './redis';
import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/metrics';
import type { StatsEvent } from '../stats/types';
import { withTimeout } from '../util/with-timeout';
import { encodeJob, jobName } from './event-codec';
import { JobAdds, type NewJob, type ShardJobs } from './job-adds';
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
   * ENQUEUE_GROUP_MS: the least time between two calls to Redis (default 0). Events recorded in
   * between wait and go together, so under load jobs carry more events and Redis spends less per
   * event; at a low rate no event waits (the last call is long past).
   */
  groupMs?: number;
  /**
   * The pack requests in progress (the pack flow's count). While every one of them already waits
   * on the sink, no further event can come from them, so waiting out `groupMs` would only delay
   * their answers: the call goes at once. Unset: `groupMs` alone decides.
   */
  requestsInFlight?: { readonly count: number };
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
 * previous call was on its way, or within `groupMs` of it, go to Redis as ONE job (of up to `maxEventsPerJob`), and the
 * jobs of every shard as one script call; each `record` resolves when its job is in Redis.
 * Exactly-once rests on the event ids in the store's ledger, not on job ids.
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
  private readonly groupMs: number;
  /** shard → events recorded, not yet sent */
  private readonly gathering = new Map<number, Waiting[]>();
  private sendScheduled = false;
  /**
   * A call per shard rather than one for every shard: in a Cluster, where a script's keys must
   * share a slot (and masters fail apart); also once a Redis refused the call across slots (a
   * Cluster node given as REDIS_URL: each shard's call then tells MOVED, or works, on its own).
   */
  private callPerShard: boolean;
  /** calls on their way to Redis */
  private readonly inFlight = new Set<number>();
  /** events recorded and not yet accepted or refused by Redis (gathered or on their way) */
  private waitingEvents = 0;
  /** call → when it last went out (performance.now(): a wall-clock step must not stretch the window) */
  private readonly lastSentAt = new Map<number, number>();
  /** call → the timer that sends it once `groupMs` has passed since it last went out */
  private readonly groupTimers = new Map<number, NodeJS.Timeout>();
  /** the last enqueue failure, until Redis answers again: events go straight to the outbox */
  private redisFailure: unknown = null;
  private replayTimer: NodeJS.Timeout | null = null;
  private replaying: Promise<void> | null = null;
  private closed = false;
  private fault: RedisTopologyFault | null = null;
  private readonly replayOutage: OutageLog;
  private readonly adds: JobAdds;
  private readonly replicaAcks: ReplicaAcks | null;

  constructor(private readonly opts: QueueSinkOptions) {
    this.adds = new JobAdds(opts.redis, opts.queues);
    this.callPerShard = opts.redis instanceof Cluster;
    this.replicaAcks = opts.replicated
      ? new ReplicaAcks(opts.redis, { timeoutMs: opts.enqueueTimeoutMs })
      : null;
    this.replayIntervalMs = opts.replayIntervalMs ?? 250;
    this.maxEventsPerJob = opts.maxEventsPerJob ?? 100;
    this.groupMs = opts.groupMs ?? 0;
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
    for (const timer of this.groupTimers.values()) clearTimeout(timer);
    this.groupTimers.clear();
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
      this.waitingEvents++;
      list.push({
        event,
        resolve: () => {
          this.waitingEvents--;
          resolve();
        },
        reject: (err) => {
          this.waitingEvents--;
          reject(err);
        },
      });
      if (!this.sendScheduled) {
        // after this turn's I/O callbacks: every event recorded in the turn joins its shard's job
        this.sendScheduled = true;
        setImmediate(() => this.sendAll());
      }
    });
  }

  private sendAll(): void {
    this.sendScheduled = false;
    for (const call of new Set([...this.gathering.keys()].map((shard) => this.callOf(shard))))
      this.send(call);
  }

  /** The call a shard's jobs go in (one per shard, or 0 for all). */
  private callOf(shard: number): number {
    return this.callPerShard ? shard : 0;
  }

  /**
   * Sends the gathered events of the call's shards, a job per shard, unless the call's previous
   * one is still on its way or went out less than `groupMs` ago: then they wait (and more join
   * them), so under load jobs grow instead of round trips multiplying, and a shard's jobs reach
   * Redis in the order they were sent. Nothing waits for `groupMs` once closing, or while every
   * request in progress waits on the sink (`requestsInFlight`).
   */
  private send(call: number): void {
    if (this.inFlight.has(call) || !this.hasGathered(call)) return;
    const early = this.closed || this.everyRequestWaits();
    const timer = this.groupTimers.get(call);
    if (timer !== undefined) {
      if (!early) return;
      clearTimeout(timer);
      this.groupTimers.delete(call);
    }
    const now = performance.now();
    const wait = (this.lastSentAt.get(call) ?? -Infinity) + this.groupMs - now;
    if (wait > 0 && !early) {
      this.groupTimers.set(
        call,
        setTimeout(() => this.sendGrouped(call), wait),
      );
      return;
    }
    const sent = this.takeGathered(call);
    this.lastSentAt.set(call, now);
    this.inFlight.add(call);
    this.opts.metrics?.enqueueCalls.inc();
    const jobs = sent.map(({ shard, waiting }) => ({
      shard,
      jobs: jobsOf(
        waiting.map((w) => w.event),
        this.maxEventsPerJob,
      ),
    }));
    withTimeout(this.addJobs(jobs), this.opts.enqueueTimeoutMs, 'Redis enqueue').then(
      () => {
        for (const { waiting } of sent) waiting.forEach((w) => w.resolve());
        this.inFlight.delete(call);
        // once the answered requests have finished (their continuations run first), so that
        // everyRequestWaits() counts only those still waiting
        setImmediate(() => this.send(call));
      },
      (err: unknown) => {
        // Redis failed these jobs: those gathered behind them would wait for them, then fail alike
        this.inFlight.delete(call);
        const behind = this.takeGathered(call);
        if (topologyFaultOf(err) === 'CROSSSLOT') this.callPerShard = true;
        for (const { waiting } of [...sent, ...behind]) waiting.forEach((w) => w.reject(err));
      },
    );
  }

  /** The call's `groupMs` has passed: it may go (unless its previous one is still on its way). */
  private sendGrouped(call: number): void {
    this.groupTimers.delete(call);
    this.send(call);
  }

  /** Every pack request in progress waits on the sink: no other event is on its way. */
  private everyRequestWaits(): boolean {
    const requests = this.opts.requestsInFlight;
    return requests !== undefined && requests.count <= this.waitingEvents;
  }

  private hasGathered(call: number): boolean {
    return this.callPerShard ? this.gathering.has(call) : this.gathering.size > 0;
  }

  /** The gathered events of the call's shards, taken out of `gathering`. */
  private takeGathered(call: number): Array<{ shard: number; waiting: Waiting[] }> {
    const taken = [];
    for (const [shard, waiting] of this.gathering) {
      if (this.callOf(shard) !== call) continue;
      taken.push({ shard, waiting });
      this.gathering.delete(shard);
    }
    return taken;
  }

  private async addJobs(jobs: readonly ShardJobs[]): Promise<void> {
    await this.adds.add(jobs);
    // one Redis node took them all (or, in a Cluster, one shard's master)
    await this.replicate(jobs[0]!.shard);
  }

  /** With replicas: until one has the shard's writes so far (see `replicated`). */
  private async replicate(shard: number): Promise<void> {
    await this.replicaAcks?.wait(shardLayout(shard).leaseKey);
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
      [...byShard].map(([shard, list]) =>
        this.adds
          .add([{ shard, jobs: jobsOf(list, this.maxEventsPerJob) }])
          .then(() => this.replicate(shard)),
      ),
    );
    this.opts.metrics?.eventsEnqueued.inc(events.length);
  }

  private updateDepth(): void {
    this.opts.metrics?.outboxDepth.set(this.opts.outbox.depth);
  }
}

/** A shard's events as jobs of up to `max` events. */
function jobsOf(events: readonly StatsEvent[], max: number): NewJob[] {
  const jobs: NewJob[] = [];
  for (let i = 0; i < events.length; i += max) {
    const slice = events.slice(i, i + max);
    jobs.push({ name: jobName(slice), data: JSON.stringify(encodeJob(slice)) });
  }
  return jobs;
}
