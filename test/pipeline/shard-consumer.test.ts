import { encodeJob } from '../../src/queue/event-codec';
import { createRedis } from '../../src/queue/redis';
import type { StatsStore } from '../../src/store/types';
import { TimeoutError } from '../../src/util/with-timeout';
import type { ConsumerEvents } from '../../workers/consumer-events';
import type { ShardConsumer } from '../../workers/shard-consumer';
import { RedisProcess } from '../helpers/redis-server';
import { SilentProxy } from '../helpers/silent-proxy';
import { packEvent } from '../helpers/stats-events';
import { waitFor } from '../helpers/wait';
import { ConsumerRig } from './support/consumer-rig';
import { captureLogger } from './support/log';

/** One shard consumer on a real Redis and SQLite file: what it does, a subscriber hears. */
describe('ShardConsumer events', () => {
  let server: RedisProcess;
  let rig: ConsumerRig;
  let consumer: ShardConsumer;

  /** The store, with the commit of its `nth` batch held until `open()`. */
  function heldStore(nth: number) {
    let calls = 0;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const held: StatsStore = Object.assign(Object.create(rig.store) as StatsStore, {
      applyBatch: async (events: Parameters<StatsStore['applyBatch']>[0]) => {
        if (++calls === nth) await gate;
        return rig.store.applyBatch(events);
      },
    });
    return { held, open, calls: () => calls };
  }

  beforeEach(async () => {
    server = await RedisProcess.start();
    rig = await ConsumerRig.start(server.url);
    consumer = rig.consumer();
  });

  afterEach(async () => {
    await consumer.stop();
    await rig.close();
    await server.stop();
  });

  it('tells a subscriber of every committed batch and of dead letters', async () => {
    const committed: Array<ConsumerEvents['batchCommitted'][0]> = [];
    const dead: number[] = [];
    consumer.events.on('batchCommitted', (batch) => committed.push(batch));
    consumer.events.on('deadLettered', ({ count }) => dead.push(count));
    consumer.start();

    for (let i = 0; i < 30; i++) {
      const events = [packEvent('keystem-00', i + 1), packEvent('keystem-01', i + 1)];
      await rig.queue.add('2 pack', encodeJob(events));
    }
    await rig.queue.add('pack', { kind: 'pack', eventId: 'nope' }, { jobId: 'broken-1' });

    const sum = (pick: (b: ConsumerEvents['batchCommitted'][0]) => number) =>
      committed.reduce((total, b) => total + pick(b), 0);
    await waitFor(() => sum((b) => b.events) === 60 && sum((b) => b.deadLettered) === 1, {
      what: 'every event committed',
    });
    expect(sum((b) => b.applied)).toBe(60);
    expect(sum((b) => b.duplicates + b.stale)).toBe(0);
    expect(dead).toEqual([1]);
    expect(await rig.counted()).toBe(60);
    await waitFor(async () => (await rig.queue.getJobCounts('completed')).completed === 31, {
      what: 'every job completed',
    });
  });

  it("takes a backlog's next batch while the last one commits, and keeps its locks alive", async () => {
    await rig.addJobs(350);
    const { held, open, calls } = heldStore(2);
    await consumer.stop(); // the unstarted one of beforeEach
    consumer = rig.consumer(held, 1000);
    const trouble: string[] = [];
    consumer.events.on('stalledSeen', () => trouble.push('stalled'));
    consumer.events.on('locksLost', () => trouble.push('locks lost'));
    consumer.start();
    // a quarter batch first (25), then twice the last until full: the second (50) is held in
    // its commit, and the third (100) is taken meanwhile
    await waitFor(() => calls() === 2, { what: 'the second batch committing' });
    await waitFor(async () => (await rig.queue.getJobCounts('active')).active === 150, {
      what: 'the next batch taken during the commit',
    });
    try {
      // held past two lock durations: the stalled checker runs, and finds nothing to re-deliver
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(await rig.queue.getJobCounts('active', 'wait')).toEqual({ active: 150, wait: 175 });
    } finally {
      open();
    }
    await waitFor(async () => (await rig.counted()) === 350, {
      what: 'every event counted',
    });
    await waitFor(async () => (await rig.queue.getJobCounts('active')).active === 0, {
      what: 'every job completed',
    });
    expect(trouble).toEqual([]);
    expect(await rig.counted()).toBe(350);
  });

  it('applies and completes the batch taken ahead too when it stops', async () => {
    await rig.addJobs(350);
    const { held, open, calls } = heldStore(2);
    await consumer.stop(); // the unstarted one of beforeEach
    consumer = rig.consumer(held);
    consumer.start();
    await waitFor(() => calls() === 2, { what: 'the second batch committing' });
    await waitFor(async () => (await rig.queue.getJobCounts('active')).active === 150, {
      what: 'the next batch taken during the commit',
    });
    const stopped = consumer.stop();
    open();
    await stopped;
    // nothing left active: the batch taken ahead was applied and completed, not dropped
    expect(await rig.queue.getJobCounts('active', 'wait')).toEqual({ active: 0, wait: 175 });
    expect(await rig.counted()).toBe(175);
  });

  it('replaces its connection when a Redis call hangs past a lock duration, and counts on', async () => {
    // its sockets go silent (no reset, no error): without a deadline the consumer waits for good
    const proxy = await SilentProxy.start(server.port);
    const through = createRedis(proxy.url, 'worker', 'test-through-proxy', captureLogger().logger);
    try {
      await consumer.stop(); // the unstarted one of beforeEach
      consumer = rig.consumer(rig.store, 1000, through);
      const replaced: unknown[] = [];
      consumer.events.on('connectionReplaced', ({ err }) => replaced.push(err));
      consumer.start();
      await rig.addJobs(10);
      await waitFor(async () => (await rig.queue.getJobCounts('completed')).completed === 10, {
        what: 'the first jobs done',
      });

      expect(proxy.silence()).toBeGreaterThan(0);
      await rig.addJobs(10, 10);
      await waitFor(async () => (await rig.counted()) === 20, {
        timeoutMs: 20_000,
        what: 'the jobs added after the silence',
      });
      expect(replaced.length).toBeGreaterThan(0);
      expect(replaced[0]).toBeInstanceOf(TimeoutError);
      await waitFor(async () => (await rig.queue.getJobCounts('completed')).completed === 20, {
        what: 'the jobs added after the silence completed',
      });
      expect(await rig.counted()).toBe(20);
      await consumer.stop();
    } finally {
      through.disconnect();
      await proxy.close();
    }
  }, 30_000);
});
