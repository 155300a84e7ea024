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
