import { InvalidEventError, decodeEvent, encodeEvent } from '../../src/queue/event-codec';
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
  it('round-trips pack and reset events through JSON', () => {
    for (const event of [packEvent('abcdefghij'), resetEvent('abcdefghij')]) {
      expect(decodeEvent(JSON.parse(JSON.stringify(encodeEvent(event))))).toEqual(event);
    }
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
