import { newEventId } from '../../src/stats/event-id';
import type { PackEvent, PackStats, ResetEvent } from '../../src/stats/types';

/** A successful, uncached pack answer; override what a test is about. */
export function packStats(overrides: Partial<PackStats> = {}): PackStats {
  return {
    usedKeystem: 'keystem-01',
    totalItems: 3,
    totalVolume: 1000,
    volumeUtilization: 0.5,
    boxTypes: { '0': 1 },
    timeStamp: '2025-03-25T05:47:23.483Z',
    cacheHit: false,
    requestError: false,
    errorResponse: false,
    statusCode: '200',
    latency: 1_000_000,
    totalCost: 240,
    boxes: 1,
    leftovers: 0,
    totalWeight: 2,
    packTime: 0.0007,
    boxTypeStats: { '0': { volumeUtilizationSum: 0.5, volumeUtilizationCount: 1, totalCost: 240 } },
    boxTypeChoiceGoalUsed: 'lowest-cost',
    warnings: 0,
    ...overrides,
  };
}

export function packEvent(keystem: string, at: number, overrides: Partial<PackStats> = {}): PackEvent {
  return {
    kind: 'pack',
    eventId: newEventId(),
    keystem,
    at,
    stats: packStats({ usedKeystem: keystem, ...overrides }),
  };
}

export function resetEvent(keystem: string, at: number): ResetEvent {
  return { kind: 'reset', eventId: newEventId(), keystem, at };
}
