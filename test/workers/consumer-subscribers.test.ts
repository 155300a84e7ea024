import { EventEmitter } from 'node:events';
import { Metrics } from '../../src/metrics/metrics';
import { countConsumerEvents } from '../../workers/consumer-metrics';
import { logConsumerEvents } from '../../workers/consumer-log';
import type { ConsumerEmitter, ConsumerEvents } from '../../workers/consumer-events';
import { parseExposition, valueOf } from '../metrics/exposition';
import { captureLogger } from '../pipeline/support/log';

describe("a shard consumer's subscribers", () => {
  it('metrics count committed batches by outcome, and failed commits', async () => {
    const events: ConsumerEmitter = new EventEmitter<ConsumerEvents>();
    const metrics = new Metrics();
    countConsumerEvents(events, metrics);
    events.emit('batchCommitted', {
      events: 10,
      deadLettered: 2,
      applied: 7,
      duplicates: 2,
      stale: 1,
      ms: 250,
      attempts: 1,
    });
    events.emit('commitFailed', { err: new Error('down'), attempt: 0, events: 10 });
    events.emit('commitFailed', { err: new Error('down'), attempt: 1, events: 10 });
    events.emit('fetchFailed', { err: new Error('OOM'), attempt: 0 });

    const samples = parseExposition(await metrics.registry.metrics());
    const processed = 'pacproxy_events_processed_total';
    expect(valueOf(samples, processed, { outcome: 'applied' })).toBe(7);
    expect(valueOf(samples, processed, { outcome: 'duplicate' })).toBe(2);
    expect(valueOf(samples, processed, { outcome: 'stale' })).toBe(1);
    expect(valueOf(samples, processed, { outcome: 'dead_letter' })).toBe(2);
    expect(valueOf(samples, 'pacproxy_flush_failures_total')).toBe(2);
    expect(valueOf(samples, 'pacproxy_fetch_failures_total')).toBe(1);
    expect(valueOf(samples, 'pacproxy_batch_size_sum')).toBe(12);
    expect(valueOf(samples, 'pacproxy_flush_duration_seconds_sum')).toBe(0.25);
  });

  it('the log keeps the error of a failed commit and of a failed fetch, with their stacks', () => {
    const events: ConsumerEmitter = new EventEmitter<ConsumerEvents>();
    const { logger, lines } = captureLogger();
    logConsumerEvents(events, logger);
    events.emit('commitFailed', { err: new Error('store down'), attempt: 0, events: 5 });
    events.emit('fetchFailed', { err: new Error('OOM'), attempt: 0 });
    const errs = lines.map((l) => l.err as { message: string; stack: string } | undefined);
    expect(errs.map((e) => e?.message)).toEqual(['store down', 'OOM']);
    expect(errs.every((e) => typeof e?.stack === 'string')).toBe(true);
    expect(lines.map((l) => l.level)).toEqual([40, 50]);
  });
});
