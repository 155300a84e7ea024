import { DEAD_LETTER, fnv1a32, shardLayout, shardOf, hashSlotOf } from '../../src/queue/shard';

describe('shardOf', () => {
  it('is FNV-1a 32 bit (published test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('maps a keystem to the same shard every time, within range', () => {
    for (const k of ['abcdefghij', 'unknown', 'é-keystem', '0']) {
      const s = shardOf(k, 16);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(16);
      expect(shardOf(k, 16)).toBe(s);
    }
    expect(shardOf('anything', 1)).toBe(0);
  });

  it('spreads many keystems over every shard', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[shardOf(`ks${i}`, 16)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });

  it('rejects a shard count below one', () => {
    expect(() => shardOf('k', 0)).toThrow(RangeError);
  });
});

describe('shardLayout', () => {
  it('hash-tags every key of a shard with the same tag, distinct per shard', () => {
    const s3 = shardLayout(3);
    expect(s3).toEqual({
      shard: 3,
      queue: 'stats-3',
      prefix: '{pacproxy-s3}',
      leaseKey: '{pacproxy-s3}:lease',
      epochKey: '{pacproxy-s3}:lease-epoch',
    });
    expect(shardLayout(4).prefix).not.toBe(s3.prefix);
    expect(DEAD_LETTER.queue).toBe('stats-dead');
  });
});

describe('hashSlotOf', () => {
  it('computes the slots Redis Cluster documents', () => {
    expect(hashSlotOf('foo')).toBe(12182);
    expect(hashSlotOf('123456789')).toBe(12739);
    // a hash tag: only what is between the first { and the next } counts
    expect(hashSlotOf('{user1000}.following')).toBe(hashSlotOf('user1000'));
    expect(hashSlotOf('foo{}{bar}')).toBe(8363); // an empty tag: the whole key
    expect(hashSlotOf('{pacproxy-s3}:lease')).toBe(hashSlotOf('{pacproxy-s3}:stats-3:wait'));
  });
});
