/** The public API's answers as the page reads them (the history and keystem-list contracts). */

export type Interval = 'hour' | 'day' | 'week' | 'month';

/** One bucket of `GET /api/keydata/{keystem|all}/history`: the keydata fields over [start, next start). */
export interface HistoryPoint {
  /** ISO 8601 instant the bucket starts at, in the zone asked for */
  start: string;
  totalRequests: number;
  /** HTTP status of Paccurate's answers → count; "0" when no answer came */
  statusCodes: Record<string, number>;
  /** requests that got no answer from Paccurate (transport errors, timeouts) */
  requestErrorCount: number;
  /** error answers from Paccurate */
  errorCount: number;
  cacheHits: number;
  /** nanoseconds; null when nothing was measured */
  avgLatency: number | null;
  maxLatency: { latency: number; timeStamp: string };
  /** a fraction (0.5 is half full); null without packs */
  avgVolumeUtilization: number | null;
  /** cents */
  totalCost: number;
  costedPacks: number;
  avgCostPerPack: number | null;
  totalLeftovers: number;
  packsWithLeftovers: number;
  totalBoxes: number;
  packs: number;
  boxTypes: Record<string, number>;
  boxTypeStats: Record<string, { count: number; avgVolumeUtilization: number | null; totalCost: number }>;
  /** on /all: keystems with traffic in the bucket */
  keystems?: number;
}

export interface History {
  usedKeystem?: string;
  interval: Interval;
  tz: string;
  from: string;
  to: string;
  points: HistoryPoint[];
}

/** One keystem of `GET /api/keydata` (the list's `items`). */
export interface KeystemItem {
  usedKeystem: string;
  totalRequests: number;
  requestErrorCount: number;
  errorCount: number;
  avgVolumeUtilization: number | null;
  avgCostPerPack: number | null;
  avgLatency: number | null;
  updatedAt: string;
}

export interface KeystemList {
  keystems: string[];
  next: string | null;
  items?: KeystemItem[];
}
