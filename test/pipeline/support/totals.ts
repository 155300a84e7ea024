import type { Queue } from 'bullmq';
import type { StatsStore } from '../../../src/store/types';

/** keystem → requests the store counted (0 for a keystem it does not know). */
export async function countedRequests(
  store: StatsStore,
  keystems: readonly string[],
): Promise<Map<string, number>> {
  const counted = new Map<string, number>();
  for (const k of keystems) counted.set(k, (await store.getKeystem(k))?.totalRequests ?? 0);
  return counted;
}

/** Sum of what the store counted over the keystems. */
export async function countedTotal(store: StatsStore, keystems: readonly string[]): Promise<number> {
  let total = 0;
  for (const n of (await countedRequests(store, keystems)).values()) total += n;
  return total;
}

/** Jobs anywhere but completed (waiting, active, delayed, failed) over the queues. */
export async function jobsLeftIn(queues: readonly Queue[]): Promise<{ open: number; failed: number }> {
  const counts = await Promise.all(
    queues.map((q) => q.getJobCounts('wait', 'active', 'delayed', 'paused', 'prioritized', 'failed')),
  );
  let open = 0;
  let failed = 0;
  for (const c of counts) {
    failed += c.failed ?? 0;
    open += (c.wait ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.paused ?? 0) + (c.prioritized ?? 0);
  }
  return { open, failed };
}
