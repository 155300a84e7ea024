import fc from 'fast-check';
import { nestsDeeperThan } from '../../src/util/json-depth';

const depthOf = (n: number) => Buffer.from('['.repeat(n) + ']'.repeat(n));

/** Nesting depth of a parsed JSON value (a scalar is 0). */
function parsedDepth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(parsedDepth));
}

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(nestsDeeperThan(depthOf(3), 3)).toBe(false);
    expect(nestsDeeperThan(depthOf(4), 3)).toBe(true);
    expect(nestsDeeperThan(Buffer.from('{"a":{"b":[1]}}'), 3)).toBe(false);
    expect(nestsDeeperThan(Buffer.from('{"a":{"b":[[1]]}}'), 3)).toBe(true);
    expect(nestsDeeperThan(Buffer.from(JSON.stringify({ s: '[[[[[[{{{{\\"[[[' })), 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(JSON.stringify({ s: '\\', t: [[1]] })), 2)).toBe(true);
  });

  it('agrees with the parse on any JSON, strings full of quotes, backslashes and brackets', () => {
    const text = fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', 'a', 'é') });
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        text,
        fc.integer(),
        fc.array(tie('value')),
        fc.dictionary(text, tie('value'), { maxKeys: 3 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, fc.nat({ max: 6 }), (value, maxDepth) => {
        const bytes = Buffer.from(JSON.stringify(value));
        expect(nestsDeeperThan(bytes, maxDepth)).toBe(parsedDepth(value) > maxDepth);
      }),
      { numRuns: 2000 },
    );
  });

  it('answers for 9 MB of brackets without recursion', () => {
    expect(nestsDeeperThan(Buffer.alloc(9 * 1024 * 1024, '['), 64)).toBe(true);
  });
});
