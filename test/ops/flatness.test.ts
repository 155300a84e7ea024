import { flatness, median, netOf } from '../../ops/bench/flatness';

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

  it('takes out what a covariate explains, keeping a growth of its own', () => {
    // a working set that happens to be larger towards the end looks like growth
    const keys = [0, 0, 500, 500, 1000, 1000, 500, 1000];
    const workingSet = keys.map((k) => 100 + 0.8 * k);
    expect(flatness(workingSet, 0.1).growth).toBeGreaterThan(0.1);
    const net = netOf(workingSet, keys);
    expect(Math.abs(flatness(net, 0.1).growth)).toBeLessThan(1e-9);
    // a leak beside a working set that only comes and goes stays visible
    const cycling = [0, 1000, 500, 0, 1000, 500, 0, 1000];
    const leaking = cycling.map((k, i) => 100 + 0.8 * k + 10 * i);
    expect(flatness(netOf(leaking, cycling), 0.1).growth).toBeGreaterThan(0.1);
  });

  it('judges no samples as not flat', () => {
    expect(flatness([], 0.1).within).toBe(false);
  });

  it('takes the middle of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
