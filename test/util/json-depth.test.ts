import { nestsDeeperThan } from '../../src/util/json-depth';

const depthOf = (n: number) => Buffer.from('['.repeat(n) + ']'.repeat(n));

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(nestsDeeperThan(depthOf(3), 3)).toBe(false);
    expect(nestsDeeperThan(depthOf(4), 3)).toBe(true);
    expect(nestsDeeperThan(Buffer.from('{"a":{"b":[1]}}'), 3)).toBe(false);
    expect(nestsDeeperThan(Buffer.from('{"a":{"b":[[1]]}}'), 3)).toBe(true);
    expect(nestsDeeperThan(Buffer.from(JSON.stringify({ s: '[[[[[[{{{{\\"[[[' })), 1)).toBe(false);
  });

  it('answers for 9 MB of brackets without recursion', () => {
    expect(nestsDeeperThan(Buffer.alloc(9 * 1024 * 1024, '['), 64)).toBe(true);
  });
});
