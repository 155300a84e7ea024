import { EventEmitter } from 'node:events';
import type { StatsEvent } from '../../src/stats/types';
import type { ApplyResult } from '../../src/store/types';
import { TimeoutError } from '../../src/util/with-timeout';
import { BatchCommit, decodeBatch, type DeadLetterJob } from '../../workers/batch-commit';
import type { ConsumerEmitter, ConsumerEvents } from '../../workers/consumer-events';
import type { TakenJob } from '../../workers/job-batches';
import { encodeJob } from '../../src/queue/event-codec';
import { packEvent } from '../helpers/stats-events';

type Seen = Array<[keyof ConsumerEvents, unknown]>;

/** An emitter that records every event it carries, in order. */
function recordingEmitter(): { events: ConsumerEmitter; seen: Seen } {
  const events: ConsumerEmitter = new EventEmitter<ConsumerEvents>();
  const seen: Seen = [];
  for (const name of ['batchCommitted', 'commitFailed', 'batchDropped', 'deadLettered'] as const) {
    events.on(name, (e: unknown) => void seen.push([name, e]));
  }
  return { events, seen };
}

/** A store whose `applyBatch` answers as scripted, one answer per call (the last repeats). */
function scriptedStore(answers: Array<'fail' | 'hang' | 'ok'>) {
  const calls: Array<readonly StatsEvent[]> = [];
  return {
    calls,
    applyBatch(events: readonly StatsEvent[]): Promise<ApplyResult> {
      const answer = answers[Math.min(calls.length, answers.length - 1)];
      calls.push(events);
      if (answer === 'fail') return Promise.reject(new Error('SQLITE_BUSY: database is locked'));
      if (answer === 'hang') return new Promise<never>(() => undefined);
      return Promise.resolve({ applied: events.length, duplicates: 0, stale: 0 });
    },
  };
}

function job(id: string, data: unknown): TakenJob {
  return { id, name: 'pack', data };
}

function commitWith(store: ReturnType<typeof scriptedStore>, events: ConsumerEmitter, aborted = () => false) {
  const deadLetters: DeadLetterJob[] = [];
  const commit = new BatchCommit({
    store,
    queue: 'stats-0',
    deadLetter: (jobs) => {
      deadLetters.push(...jobs);
      return Promise.resolve();
    },
    writeTimeoutMs: 50,
    sleep: () => Promise.resolve(),
    aborted,
    events,
  });
  return { commit, deadLetters };
}

describe('BatchCommit', () => {
  const batch = [
    job('1', encodeJob([packEvent('keystem-00', 1), packEvent('keystem-01', 2)])),
    job('2', packEvent('keystem-02', 3)),
  ];

  it('decodes jobs of both versions (many events, one bare event)', () => {
    const { events, invalid } = decodeBatch(batch);
    expect(events.map((e) => e.keystem)).toEqual(['keystem-00', 'keystem-01', 'keystem-02']);
    expect(invalid).toEqual([]);
  });

  it('retries the same batch after a failed commit, and tells each try', async () => {
    const store = scriptedStore(['fail', 'fail', 'ok']);
    const { events, seen } = recordingEmitter();
    expect(await commitWith(store, events).commit.commit(batch)).toBe(true);
    expect(store.calls).toHaveLength(3);
    expect(store.calls[2]).toEqual(store.calls[0]);
    expect(seen.map(([name]) => name)).toEqual(['commitFailed', 'commitFailed', 'batchCommitted']);
    expect(seen[1]).toEqual(['commitFailed', { err: expect.any(Error), attempt: 1, events: 3 }]);
    expect(seen[2]).toEqual([
      'batchCommitted',
      {
        events: 3,
        deadLettered: 0,
        applied: 3,
        duplicates: 0,
        stale: 0,
        ms: expect.any(Number),
        attempts: 3,
      },
    ]);
  });

  it('counts a store write past its deadline as failed, and retries it', async () => {
    const store = scriptedStore(['hang', 'ok']);
    const { events, seen } = recordingEmitter();
    expect(await commitWith(store, events).commit.commit(batch)).toBe(true);
    const [failed] = seen;
    expect(failed?.[0]).toBe('commitFailed');
    expect((failed?.[1] as ConsumerEvents['commitFailed'][0]).err).toBeInstanceOf(TimeoutError);
    expect(seen[1]?.[0]).toBe('batchCommitted');
  });

  it('drops the batch uncommitted once the lease is lost', async () => {
    const store = scriptedStore(['hang']);
    const { events, seen } = recordingEmitter();
    let lost = false;
    events.on('commitFailed', () => (lost = true));
    expect(await commitWith(store, events, () => lost).commit.commit(batch)).toBe(false);
    expect(seen.map(([name]) => name)).toEqual(['commitFailed', 'batchDropped']);
  });

  it('sends unreadable events to the dead-letter queue, once per event, and commits the rest', async () => {
    const store = scriptedStore(['ok']);
    const { events, seen } = recordingEmitter();
    const bad = job('3:x', encodeJob([packEvent('keystem-03', 4)]));
    (bad.data as { events: unknown[] }).events.push({ kind: 'pack', eventId: 'nope' });
    const { commit, deadLetters } = commitWith(store, events);
    expect(await commit.commit([...batch, bad])).toBe(true);
    expect(deadLetters).toEqual([
      {
        name: 'dead',
        data: expect.objectContaining({
          queue: 'stats-0',
          jobId: '3:x',
          index: 1,
          reason: expect.any(String),
        }),
        opts: { jobId: 'stats-0-3_x-1' },
      },
    ]);
    expect(store.calls[0]).toHaveLength(4);
    expect(seen.map(([name]) => name)).toEqual(['deadLettered', 'batchCommitted']);
    expect(seen[1]?.[1]).toMatchObject({ events: 4, deadLettered: 1, applied: 4 });
  });
});
