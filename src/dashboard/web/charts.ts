import type UPlot from 'uplot';
import type { ChartSeries } from './series.js';

/**
 * The charts, drawn by uPlot (loaded by the page as a classic script: the global `uPlot`).
 * Each chart is created once and given new data on every refresh; widths follow the container.
 */

declare global {
  interface Window {
    uPlot: typeof UPlot;
  }
}

type Values = (number | null)[];
type Format = (v: number) => string;

interface LineSpec {
  label: string;
  color: string;
  values: (s: ChartSeries) => Values;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** what the chart shows, for screen readers */
  description: string;
  format: Format;
  /** whole numbers only: no axis ticks between 0 and 1 */
  counts?: boolean;
  lines: LineSpec[];
}

/** The charts of both views, in order. */
export function chartSpecs(formats: {
  count: Format;
  ms: Format;
  percent: Format;
  money: Format;
}): ChartSpec[] {
  return [
    {
      id: 'requests',
      title: 'Requests',
      description: 'Requests per bucket by the class of Paccurate’s answer',
      format: formats.count,
      counts: true,
      lines: [
        { label: '2xx', color: '#1b7837', values: (s) => s.ok },
        { label: '4xx', color: '#b35806', values: (s) => s.clientErrors },
        { label: '5xx', color: '#b2182b', values: (s) => s.serverErrors },
        { label: 'Transport errors', color: '#542788', values: (s) => s.transportErrors },
      ],
    },
    {
      id: 'cache',
      title: 'Cache hit rate',
      description: 'Share of requests answered from the request cache',
      format: formats.percent,
      lines: [{ label: 'Cache hits', color: '#2166ac', values: (s) => s.cacheHitRate }],
    },
    {
      id: 'latency',
      title: 'Latency',
      description: 'Average and maximum round trip to Paccurate, in milliseconds',
      format: formats.ms,
      lines: [
        { label: 'Average', color: '#2166ac', values: (s) => s.avgLatencyMs },
        { label: 'Maximum', color: '#b2182b', values: (s) => s.maxLatencyMs },
      ],
    },
    {
      id: 'utilization',
      title: 'Volume utilization',
      description: 'Average share of box volume filled, per pack',
      format: formats.percent,
      lines: [{ label: 'Average', color: '#1b7837', values: (s) => s.avgUtilization }],
    },
    {
      id: 'cost',
      title: 'Cost',
      description: 'Total cost of the packings',
      format: formats.money,
      lines: [{ label: 'Cost', color: '#8c510a', values: (s) => s.cost }],
    },
    {
      id: 'leftovers',
      title: 'Leftovers',
      description: 'Items Paccurate could not pack',
      format: formats.count,
      counts: true,
      lines: [{ label: 'Leftover items', color: '#762a83', values: (s) => s.leftovers }],
    },
  ];
}

const HEIGHT = 200;
/** Axis steps for counts: 1, 2, 5, 10, 20, 50, … */
const COUNT_STEPS = Array.from({ length: 30 }, (_, i) => [1, 2, 5][i % 3]! * 10 ** Math.floor(i / 3));

/** Values with no neighbour on either side draw no line: mark them with a dot instead. */
const isolated = (u: UPlot, seriesIdx: number): number[] => {
  const ys = u.data[seriesIdx]!;
  const lone: number[] = [];
  for (let i = 0; i < ys.length; i++)
    if (ys[i] != null && ys[i - 1] == null && ys[i + 1] == null) lone.push(i);
  return lone;
};

export class Charts {
  private readonly plots = new Map<string, UPlot>();
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor(
    private readonly container: HTMLElement,
    private readonly specs: ChartSpec[],
    /** the zone the time axis is labelled in: the one the buckets were cut in */
    private readonly timeZone: string,
  ) {
    for (const spec of specs) {
      const figure = document.createElement('figure');
      figure.className = 'chart';
      figure.id = `chart-${spec.id}`;
      const caption = document.createElement('figcaption');
      caption.textContent = spec.title;
      const plot = document.createElement('div');
      plot.className = 'plot';
      plot.setAttribute('role', 'img');
      plot.setAttribute('aria-label', spec.description);
      figure.append(caption, plot);
      container.append(figure);
    }
    this.resize.observe(container);
  }

  show(series: ChartSeries): void {
    for (const spec of this.specs) {
      const data = [series.x, ...spec.lines.map((l) => l.values(series))] as UPlot.AlignedData;
      const existing = this.plots.get(spec.id);
      if (existing) existing.setData(data);
      else this.plots.set(spec.id, this.create(spec, data));
    }
  }

  private create(spec: ChartSpec, data: UPlot.AlignedData): UPlot {
    const target = this.container.querySelector<HTMLElement>(`#chart-${spec.id} .plot`)!;
    const value = (_u: UPlot, v: number | null) => (v === null ? '–' : spec.format(v));
    const options: UPlot.Options = {
      width: this.widthOf(target),
      height: HEIGHT,
      tzDate: (ts: number) => window.uPlot.tzDate(new Date(ts * 1000), this.timeZone),
      series: [
        {},
        ...spec.lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: 2,
          value,
          spanGaps: false,
          points: { show: true, size: 6, fill: l.color, filter: isolated },
        })),
      ],
      axes: [
        {},
        {
          values: (_u: UPlot, splits: number[]) => splits.map(spec.format),
          size: 70,
          ...(spec.counts ? { incrs: COUNT_STEPS } : {}),
        },
      ],
      scales: { y: { range: (_u: UPlot, _min: number, max: number) => [0, max > 0 ? max * 1.1 : 1] } },
      cursor: { drag: { x: false, y: false } },
    };
    return new window.uPlot(options, data, target);
  }

  private widthOf(el: HTMLElement): number {
    return Math.max(240, el.clientWidth);
  }

  private fit(): void {
    for (const [id, plot] of this.plots) {
      const target = this.container.querySelector<HTMLElement>(`#chart-${id} .plot`)!;
      plot.setSize({ width: this.widthOf(target), height: HEIGHT });
    }
  }
}
