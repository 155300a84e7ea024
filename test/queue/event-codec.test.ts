import { InvalidEventError, decodeEvent, decodeJob, encodeJob, jobName } from '../../src/queue/event-codec';
import { sanitizeKey } from '../../src/stats/keys';
import { noPacking } from '../../src/stats/request-stats';
import { packEvent, resetEvent } from '../pipeline/support/events';

function reasonOf(data: unknown): string {
  try {
    decodeEvent(data);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidEventError);
    expect((err as InvalidEventError).code).toBe('PACPROXY_ERR_INVALID_EVENT');
    return (err as InvalidEventError).reason;
  }
  throw new Error('decoded an invalid event');
}

describe('event codec', () => {
  it('round-trips a job of many pack and reset events through JSON, in order', () => {
    const events = [packEvent('abcdefghij'), resetEvent('abcdefghij'), packEvent('abcdefghij')];
    const data: unknown = JSON.parse(JSON.stringify(encodeJob(events)));
    expect(decodeJob(data)).toEqual({ events, invalid: [] });
    expect(jobName(events)).toBe('2 pack, 1 reset');
  });

  it('decodes a job of one bare event, as the previous version wrote them', () => {
    // what `queue.add(event.kind, event, { jobId: event.eventId })` stored before group commit
    for (const event of [packEvent('abcdefghij'), resetEvent('abcdefghij')]) {
      expect(decodeJob(JSON.parse(JSON.stringify(event)))).toEqual({ events: [event], invalid: [] });
    }
  });

  it('uses an event of this version as it came (the compiled check), without a copy', () => {
    for (const event of [packEvent('abcdefghij'), resetEvent('abcdefghij')]) {
      const data: unknown = JSON.parse(JSON.stringify(event));
      expect(decodeEvent(data)).toBe(data);
    }
  });

  it('keeps the good events of a job and names each bad one', () => {
    const good = packEvent('abcdefghij');
    const bad = { ...packEvent('abcdefghij'), at: -1 };
    const decoded = decodeJob({ events: [good, bad] });
    expect(decoded.events).toEqual([good]);
    expect(decoded.invalid).toEqual([{ index: 1, data: bad, reason: expect.stringMatching(/^at:/) }]);
  });

  it('keeps a __proto__ box type of an event queued by an earlier version, under its stored name', () => {
    const good = packEvent('abcdefghij');
    const queued = JSON.stringify(good).replace('"boxTypes":{', '"boxTypes":{"__proto__":2,');
    const decoded = decodeEvent(JSON.parse(queued));
    expect(decoded.kind === 'pack' && decoded.stats.boxTypes[sanitizeKey('__proto__')]).toBe(2);
  });

  it('refuses counts past the schema bounds (they would overflow the stores)', () => {
    const good = packEvent('abcdefghij');
    expect(reasonOf({ ...good, stats: { ...good.stats, totalItems: 2 ** 53 } })).toMatch(
      /^stats\.totalItems:/,
    );
  });

  it('names what is wrong with an invalid event', () => {
    const good = packEvent('abcdefghij');
    expect(reasonOf(null)).toMatch(/expected object/);
    expect(reasonOf({ ...good, kind: 'other' })).toMatch(/^kind:/);
    expect(reasonOf({ ...good, eventId: 'not-a-uuid' })).toMatch(/^eventId:/);
    expect(reasonOf({ ...good, at: -1 })).toMatch(/^at:/);
    expect(reasonOf({ ...good, stats: { ...good.stats, totalItems: 1.5 } })).toMatch(/^stats\.totalItems:/);
    expect(reasonOf({ ...good, stats: { ...good.stats, boxTypes: { a: -1 } } })).toMatch(
      /^stats\.boxTypes\.a:/,
    );
    expect(reasonOf({ ...good, keystem: 'someone-else' })).toMatch(/keystem differs/);
    expect(reasonOf({ kind: 'reset', eventId: good.eventId, at: 1 })).toMatch(/^keystem:/);
  });

  it('decodes an event written before the cost and packing-quality fields, as one carrying none', () => {
    const event = packEvent('abcdefghij');
    const added = ['totalCost', 'boxes', 'leftovers', 'totalWeight', 'packTime', 'boxTypeStats'];
    added.push('boxTypeChoiceGoalUsed', 'warnings');
    const previousVersion = Object.fromEntries(
      Object.entries(event.stats).filter(([name]) => !added.includes(name)),
    );
    expect(decodeEvent({ ...event, stats: previousVersion })).toEqual({
      ...event,
      stats: { ...previousVersion, ...noPacking() },
    });
  });

  it('refuses cost and packing-quality fields of the wrong type', () => {
    const good = packEvent('abcdefghij');
    const bad = (stats: Record<string, unknown>) => reasonOf({ ...good, stats: { ...good.stats, ...stats } });
    expect(bad({ totalCost: '5' })).toMatch(/^stats\.totalCost:/);
    expect(bad({ boxes: -1 })).toMatch(/^stats\.boxes:/);
    expect(bad({ packTime: Infinity })).toMatch(/^stats\.packTime:/);
    expect(bad({ boxTypeStats: { a: { volumeUtilizationSum: 1 } } })).toMatch(/^stats\.boxTypeStats\.a/);
  });
});
