import { parseExposition, valueOf } from './exposition';

describe('parseExposition (test helper)', () => {
  it('reads samples with labels and skips comments', () => {
    const samples = parseExposition(
      '# HELP a_total A counter\n# TYPE a_total counter\na_total{route="/",x="q\\"uote"} 3\nb 1.5e3\nc Nan\nd +Inf\n',
    );
    expect(samples).toEqual([
      { name: 'a_total', labels: { route: '/', x: 'q"uote' }, value: 3 },
      { name: 'b', labels: {}, value: 1500 },
      { name: 'c', labels: {}, value: NaN },
      { name: 'd', labels: {}, value: Infinity },
    ]);
    expect(valueOf(samples, 'a_total', { route: '/' })).toBe(3);
  });

  it('rejects lines that are not samples', () => {
    expect(() => parseExposition('a_total{route="/"} \n')).toThrow(/not a sample/);
    expect(() => parseExposition('a_total{route=/} 1\n')).toThrow(/bad labels/);
    expect(() => parseExposition('a_total one\n')).toThrow(/bad value/);
  });
});
