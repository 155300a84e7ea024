import { flatness, median } from '../../ops/bench/flatness';

describe('flatness (the soak verdict)', () => {
  it('passes a series within ±10% of its median and reports the spread', () => {
    const f = flatness([100, 95, 104, 100, 109], 0.1);
    expect(f.median).toBe(100);
    expect(f.minDeviation).toBeCloseTo(-0.05);
    expect(f.maxDeviation).toBeCloseTo(0.09);
    expect(f.within).toBe(true);
  });

  it('fails a series that strays beyond the tolerance either way', () => {
    expect(flatness([100, 100, 111], 0.1).within).toBe(false);
    expect(flatness([100, 100, 89], 0.1).within).toBe(false);
  });

  it('shows a steady growth as a slope per sample and as what it adds over the series', () => {
    const growing = flatness([10, 12, 14, 16], 0.5);
    expect(growing.slopePerSample).toBeCloseTo(2);
    expect(growing.growth).toBeCloseTo(6 / 13);
    expect(flatness([7, 7, 7], 0.1).slopePerSample).toBe(0);
  });

  it('sees no growth in a series that only comes and goes', () => {
    const f = flatness([3, 3.4, 2.7, 3.3, 2.7, 3.4, 2.8, 3.3], 0.1);
    expect(f.within).toBe(false);
    expect(Math.abs(f.growth)).toBeLessThan(0.05);
  });

  it('judges no samples as not flat', () => {
    expect(flatness([], 0.1).within).toBe(false);
  });

  it('takes the middle of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
