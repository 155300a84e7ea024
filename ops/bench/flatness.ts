/** How flat a series of samples is: the soak's memory verdict, as plain arithmetic. */
export interface Flatness {
  median: number;
  /** (lowest − median) / median: 0 or below */
  minDeviation: number;
  /** (highest − median) / median: 0 or above */
  maxDeviation: number;
  /** least-squares slope, in the values' unit per sample */
  slopePerSample: number;
  /** what the trend adds over the whole series, as a fraction of the median */
  growth: number;
  /** every value within ±tolerance (a fraction) of the median */
  within: boolean;
}

export function flatness(values: readonly number[], tolerance: number): Flatness {
  if (values.length === 0) {
    return {
      median: NaN,
      minDeviation: NaN,
      maxDeviation: NaN,
      slopePerSample: NaN,
      growth: NaN,
      within: false,
    };
  }
  const med = median(values);
  const minDeviation = (Math.min(...values) - med) / med;
  const maxDeviation = (Math.max(...values) - med) / med;
  const slopePerSample = slope(values);
  return {
    median: med,
    minDeviation,
    maxDeviation,
    slopePerSample,
    growth: (slopePerSample * (values.length - 1)) / med,
    within: -minDeviation <= tolerance && maxDeviation <= tolerance,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * `values` without the part a covariate explains (least squares): e.g. Redis memory net of the
 * jobs it holds at each sample, so what remains shows growth beyond the queues' working set.
 */
export function netOf(values: readonly number[], covariate: readonly number[]): number[] {
  const b = fit(covariate, values);
  const meanX = mean(covariate);
  return values.map((y, i) => y - b * (covariate[i]! - meanX));
}

/** Least-squares slope of values against their index (0 for fewer than two values). */
function slope(values: readonly number[]): number {
  return fit(
    values.map((_, i) => i),
    values,
  );
}

/** Least-squares slope of y against x (0 when x does not vary). */
function fit(x: readonly number[], y: readonly number[]): number {
  const meanX = mean(x);
  const meanY = mean(y);
  let num = 0;
  let den = 0;
  x.forEach((xi, i) => {
    num += (xi - meanX) * (y[i]! - meanY);
    den += (xi - meanX) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
