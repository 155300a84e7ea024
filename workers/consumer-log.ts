import type { Logger } from '../src/log/logger';
import type { ConsumerEmitter } from './consumer-events';

/**
 * A shard consumer's log lines, from its events. Repeats are quiet: the first failure of a run
 * is logged at its level, the retries after it at debug.
 */
export function logConsumerEvents(events: ConsumerEmitter, log: Logger): void {
  events.on('batchCommitted', ({ attempts }) => {
    if (attempts > 1) log.info({ attempts }, 'batch applied after retries');
  });
  events.on('commitFailed', ({ err, attempt, events: count }) =>
    log[attempt === 0 ? 'warn' : 'debug'](
      { err, attempt, events: count },
      'batch not applied; retrying the same batch',
    ),
  );
  events.on('batchDropped', ({ events: count }) =>
    log.warn({ events: count }, 'lease lost: open batch dropped uncompleted (it will be re-delivered)'),
  );
  events.on('deadLettered', ({ count, reason }) =>
    log.error({ jobs: count, reason }, 'jobs moved to the dead-letter queue'),
  );
  events.on('fetchFailed', ({ err, attempt }) =>
    log[attempt === 0 ? 'error' : 'debug']({ err, failures: attempt }, 'fetching jobs failed; retrying'),
  );
  events.on('completionFailed', ({ err, jobs }) =>
    log.warn({ err, jobs }, 'completions failed; the jobs will be re-delivered'),
  );
  events.on('completionsRefused', ({ count, code }) =>
    log.warn({ refused: count, code }, 'completions refused (locks lost); those jobs will be re-delivered'),
  );
  events.on('locksLost', ({ count }) => log.warn({ failed: count }, 'job locks lost while a batch was open'));
  events.on('lockExtensionFailed', ({ err }) => log.debug({ err }, 'job lock extension failed'));
  events.on('stalledSeen', ({ count }) =>
    log.info({ jobs: count }, 'stalled jobs of a dead or paused owner returned to the queue'),
  );
  events.on('connectionReplaced', ({ err }) =>
    log.warn({ err }, 'a Redis call hung past its deadline: the shard reconnected'),
  );
  events.on('queueError', ({ err }) => log.debug({ err }, 'BullMQ worker error'));
  events.on('crashed', ({ err }) => log.error({ err }, 'shard consumer stopped by an error'));
}
