import {
  evaluateTargets,
  formatTargets,
  type PipelineFigures,
  type ProxyFigures,
} from '../../ops/bench/target-table';

const proxy: ProxyFigures = {
  bareRps: 3000,
  rootRps: 1500,
  packRps: 1600,
  rate: 750,
  bareP99AtRate: 20,
  rootP99AtRate: 30,
  bareCpuMsPerRequest: 0.12,
  rootCpuMsPerRequest: 0.3,
  pipelineCpuMsPerRequest: 0.25,
};
const pipeline: PipelineFigures = {
  baselineRate: 10_000,
  drainRate: 12_000,
  exact: true,
  flushes: 240,
  maxKeystemWritesPerFlush: 1,
  freshnessRate: 1000,
  freshnessP99Ms: 1200,
};

const verdicts = (p: ProxyFigures, q: PipelineFigures) =>
  evaluateTargets(p, q).map((r) => [r.ratio, r.verdict]);

describe('evaluateTargets (the issue 7 table)', () => {
  it('judges each target by its ratio to the baseline of the same run', () => {
    expect(verdicts(proxy, pipeline)).toEqual([
      ['0.50×', 'PASS'],
      ['1.50×', 'PASS'],
      ['0.53×', 'PASS'],
      ['1.20×', 'PASS'],
      ['-', 'PASS'],
      ['-', 'PASS'],
      ['2.50×', 'report'],
    ]);
  });

  it('fails each target just beyond its goal', () => {
    const slow = { ...proxy, rootRps: 1190, packRps: 1490, rootP99AtRate: 41 };
    const behind = { ...pipeline, drainRate: 9990, maxKeystemWritesPerFlush: 2, freshnessP99Ms: 2001 };
    expect(verdicts(slow, behind).map(([, v]) => v)).toEqual([
      'FAIL',
      'FAIL',
      'FAIL',
      'FAIL',
      'FAIL',
      'FAIL',
      'report',
    ]);
  });

  it('fails the writes target when no flush was seen', () => {
    expect(evaluateTargets(proxy, { ...pipeline, flushes: 0, maxKeystemWritesPerFlush: 0 })[4]?.verdict).toBe(
      'FAIL',
    );
  });

  it('fails a fast drain whose store totals are wrong', () => {
    const rows = evaluateTargets(proxy, { ...pipeline, exact: false });
    expect(rows[3]).toMatchObject({ verdict: 'FAIL', measured: expect.stringContaining('WRONG') });
  });

  it('prints one line per target under a header', () => {
    const text = formatTargets(evaluateTargets(proxy, pipeline));
    expect(text.split('\n')).toHaveLength(2 + 7);
    expect(text).toContain('POST /pack req/s vs bare pass-through');
  });
});
