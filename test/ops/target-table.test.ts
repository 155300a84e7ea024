import {
  evaluatePipelineTargets,
  evaluateProxyTargets,
  evaluateTargets,
  formatTargets,
  type PipelineFigures,
  type ScenarioFigures,
} from '../../ops/bench/target-table';

const fast: ScenarioFigures = {
  name: 'fast-split',
  fast: true,
  bareRps: 10_000,
  rootRps: 6500,
  packRps: 6100,
  rate: 3250,
  bareP99AtRate: 20,
  rootP99AtRate: 28,
  bareCpuMsPerRequest: 0.1,
  pipelineCpuMsPerRequest: 0.24,
  cpuMsByProcess: { proxy: 0.15, worker: 0.06, redis: 0.03 },
  redisUsPerEvent: 30,
  eventsPerJob: 5.2,
  exact: true,
};
const realistic: ScenarioFigures = { ...fast, name: 'realistic', fast: false, rootRps: 1500, packRps: 1400 };
const pipeline: PipelineFigures = {
  eventsPerJob: 1.27,
  baselineRate: 10_000,
  drainRate: 21_000,
  dense: { eventsPerJob: 4, baselineRate: 30_000, drainRate: 36_000 },
  exact: true,
  flushes: 240,
  maxKeystemWritesPerFlush: 1,
  maxHourWritesPerFlush: 1,
  freshnessRate: 1000,
  freshnessP99Ms: 1200,
};

const verdicts = (rows: ReturnType<typeof evaluateTargets>) => rows.map((r) => [r.ratio, r.verdict]);

describe('the bench targets table', () => {
  it('judges each fast scenario by its ratios to the bare proxy of the same run', () => {
    expect(verdicts(evaluateProxyTargets([fast]))).toEqual([
      ['0.65×', 'PASS'],
      ['0.61×', 'PASS'],
      ['1.40×', 'PASS'],
      ['2.40×', 'PASS'],
      ['-', 'PASS'],
    ]);
  });

  it('fails each proxy target just beyond its goal', () => {
    const slow = {
      ...fast,
      rootRps: 5990,
      packRps: 5990,
      rootP99AtRate: 30.2,
      pipelineCpuMsPerRequest: 0.251,
      redisUsPerEvent: 40.1,
    };
    expect(evaluateProxyTargets([slow]).map((r) => r.verdict)).toEqual([
      'FAIL',
      'FAIL',
      'FAIL',
      'FAIL',
      'FAIL',
    ]);
  });

  it('fails a scenario whose store did not count every answered request', () => {
    const rows = evaluateProxyTargets([{ ...fast, exact: false }]);
    expect(rows[0]).toMatchObject({ verdict: 'FAIL', measured: expect.stringContaining('WRONG') });
  });

  it('reports the realistic scenario without judging it', () => {
    expect(evaluateProxyTargets([realistic]).map((r) => r.verdict)).toEqual(['report', 'report']);
  });

  it('judges the pipeline: drain ≥ 1.5× BullMQ (13, 14) and ≥ 2× (20), exact; one write per keystem per flush; freshness', () => {
    expect(verdicts(evaluatePipelineTargets(pipeline))).toEqual([
      ['2.10×', 'PASS'],
      ['2.10×', 'PASS'],
      ['1.20×', 'report'],
      ['-', 'PASS'],
      ['-', 'PASS'],
    ]);
    const between = { ...pipeline, drainRate: 19_990 };
    expect(
      evaluatePipelineTargets(between)
        .map((r) => r.verdict)
        .slice(0, 2),
    ).toEqual(['PASS', 'FAIL']);
    const behind = { ...pipeline, drainRate: 14_990, maxKeystemWritesPerFlush: 2, freshnessP99Ms: 2001 };
    expect(evaluatePipelineTargets(behind).map((r) => r.verdict)).toEqual([
      'FAIL',
      'FAIL',
      'report',
      'FAIL',
      'FAIL',
    ]);
    expect(
      evaluatePipelineTargets({ ...pipeline, flushes: 0, maxKeystemWritesPerFlush: 0 })[3]?.verdict,
    ).toBe('FAIL');
    expect(evaluatePipelineTargets({ ...pipeline, maxHourWritesPerFlush: 2 })[3]?.verdict).toBe('FAIL');
    const inexact = evaluatePipelineTargets({ ...pipeline, exact: false });
    expect(inexact.slice(0, 2).map((r) => r.verdict)).toEqual(['FAIL', 'FAIL']);
  });

  it('says at what density the drain was judged, and that denser jobs are only reported', () => {
    const [judged, , dense] = evaluatePipelineTargets(pipeline);
    expect(judged?.measured).toContain('1.27 events per job');
    expect(dense).toMatchObject({
      goal: 'reported',
      measured: expect.stringContaining('4.00 events per job'),
    });
  });

  it('prints one line per target under a header', () => {
    const text = formatTargets(evaluateTargets([fast, realistic], pipeline));
    expect(text.split('\n')).toHaveLength(2 + 5 + 2 + 5);
    expect(text).toContain('[fast-split] POST /pack req/s vs bare pass-through');
  });
});
