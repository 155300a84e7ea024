import { Cluster } from 'ioredis';

/**
 * ioredis 5 schedules a Cluster client's next periodic slots refresh (`slotsRefreshInterval`)
 * from the callback of the refresh in flight, even when the client was disconnected meanwhile
 * (say while a node did not answer its CLUSTER SLOTS): the closed client then refreshes every
 * interval for good, and that timer keeps its process from exiting. ioredis keeps the timer as
 * `this.slotsTimer` and sets it nowhere else, so an accessor on the prototype sees every one:
 * one set after the client was closed by hand is cancelled. Every Cluster client in the process
 * is covered, BullMQ's duplicates included.
 */
const timers = new WeakMap<Cluster, NodeJS.Timeout | null>();

Object.defineProperty(Cluster.prototype, 'slotsTimer', {
  configurable: true,
  get(this: Cluster): NodeJS.Timeout | null {
    return timers.get(this) ?? null;
  },
  set(this: Cluster, timer: NodeJS.Timeout | null) {
    const closedByHand = (this as unknown as { manuallyClosing?: boolean }).manuallyClosing === true;
    if (timer && (closedByHand || this.status === 'end')) {
      clearTimeout(timer);
      timers.set(this, null);
      return;
    }
    timers.set(this, timer);
  },
});
