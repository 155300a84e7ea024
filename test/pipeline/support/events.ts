import { newEventId } from '../../../src/stats/event-id';
import type { PackEvent, ResetEvent } from '../../../src/stats/types';

/** A pack event as the proxy makes it: one item per request, latency 1 ms, box "box-a". */
export function packEvent(keystem: string, at = Date.now()): PackEvent {
  return {
    kind: 'pack',
    eventId: newEventId(),
    keystem,
    at,
    stats: {
      usedKeystem: keystem,
      totalItems: 1,
      totalVolume: 10,
      volumeUtilization: 0.5,
      boxTypes: { 'box-a': 1 },
      timeStamp: new Date(at).toISOString(),
      cacheHit: false,
      requestError: false,
      errorResponse: false,
      statusCode: '200',
      latency: 1_000_000,
      totalCost: 250,
      boxes: 1,
      leftovers: 0,
      totalWeight: 2,
      packTime: 0.001,
      boxTypeStats: { 'box-a': { volumeUtilizationSum: 0.5, volumeUtilizationCount: 1, totalCost: 250 } },
      boxTypeChoiceGoalUsed: 'lowest-cost',
      warnings: 0,
    },
  };
}

export function resetEvent(keystem: string, at = Date.now()): ResetEvent {
  return { kind: 'reset', eventId: newEventId(), keystem, at };
}

/** keystem-00 … keystem-(n-1): 10 characters like a real keystem. */
export function keystems(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `keystem-${String(i).padStart(2, '0')}`);
}
