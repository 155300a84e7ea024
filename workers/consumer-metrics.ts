import type { Metrics } from '../src/metrics/metrics';
import type { ConsumerEmitter } from './consumer-events';

/** A shard consumer's metrics, from its events. */
export function countConsumerEvents(events: ConsumerEmitter, m: Metrics): void {
  events.on('batchCommitted', (batch) => {
    m.flushDuration.observe(batch.ms / 1000);
    m.batchSize.observe(batch.events + batch.deadLettered);
    m.eventsProcessed.inc({ outcome: 'applied' }, batch.applied);
    m.eventsProcessed.inc({ outcome: 'duplicate' }, batch.duplicates);
    m.eventsProcessed.inc({ outcome: 'stale' }, batch.stale);
    m.eventsProcessed.inc({ outcome: 'dead_letter' }, batch.deadLettered);
  });
  events.on('commitFailed', () => m.flushFailures.inc());
  events.on('fetchFailed', () => m.fetchFailures.inc());
}
