import type { PackEvent, ResetEvent } from '../../../src/stats/types';
import * as statsEvents from '../../helpers/stats-events';

/** A pack event as the proxy makes it: one item per request, latency 1 ms, box "box-a". */
export function packEvent(keystem: string, at = Date.now()): PackEvent {
  return statsEvents.packEvent(keystem, at, {
    totalItems: 1,
    totalVolume: 10,
    boxTypes: { 'box-a': 1 },
    timeStamp: new Date(at).toISOString(),
    totalCost: 250,
    totalWeight: 2,
    packTime: 0.001,
    boxTypeStats: { 'box-a': { volumeUtilizationSum: 0.5, volumeUtilizationCount: 1, totalCost: 250 } },
  });
}

export function resetEvent(keystem: string, at = Date.now()): ResetEvent {
  return statsEvents.resetEvent(keystem, at);
}

/** keystem-00 … keystem-(n-1): 10 characters like a real keystem. */
export function keystems(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `keystem-${String(i).padStart(2, '0')}`);
}
