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

/** Least-squares slope of values against their index (0 for fewer than two values). */
function slope(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  values.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return num / den;
}
