/**
 * What a Redis failure means for readiness. Every failure today is "unavailable": the outbox
 * takes the events until Redis answers again. A failure no retry will cure (a misconfigured
 * topology: MOVED, CROSSSLOT, READONLY) is `misconfigured`: the proxy then reports itself not
 * ready even with room in its outbox, since the outbox would never drain.
 */
export interface RedisFailure {
  reason: string;
  misconfigured: boolean;
}

export function classifyRedisFailure(err: unknown): RedisFailure {
  return { reason: err instanceof Error ? err.message : String(err), misconfigured: false };
}
