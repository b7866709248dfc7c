/**
 * Equal-width bins over [0, 1] with exact edges k/n: [k/n, (k+1)/n), the last bin closed.
 * Edges are computed as Python's i / n_bins (not np.arange, whose float edges differ at 0.3, 0.6, 0.7),
 * and membership is decided by comparing against those edges, never by floor(p · n): NO 90% gives
 * P(YES) = 0.09999999999999998, which belongs in the first bin.
 */
export function binIndex(value: number, binCount: number): number | null {
  if (!(value >= 0 && value <= 1)) return null;
  let k = Math.min(Math.floor(value * binCount), binCount - 1);
  while (k > 0 && value < k / binCount) k--;
  while (k < binCount - 1 && value >= (k + 1) / binCount) k++;
  return k;
}

export interface BinEdges {
  index: number;
  lo: number;
  hi: number;
  center: number;
}

export function binEdges(binCount: number): BinEdges[] {
  return Array.from({ length: binCount }, (_, k) => ({
    index: k,
    lo: k / binCount,
    hi: (k + 1) / binCount,
    center: (2 * k + 1) / (2 * binCount),
  }));
}

/** Running sums for one bin: enough for counts, means and calibration gaps. */
export interface BinTally {
  count: number;
  sumForecast: number;
  sumOutcome: number;
}

/** Tally (forecast, outcome) pairs into equal-width bins of the forecast. */
export function tallyBins(
  pairs: Iterable<readonly [forecast: number, outcome: number]>,
  binCount: number,
): { bins: BinTally[]; total: number } {
  const bins = Array.from({ length: binCount }, () => ({ count: 0, sumForecast: 0, sumOutcome: 0 }));
  let total = 0;
  for (const [forecast, outcome] of pairs) {
    total++;
    const k = binIndex(forecast, binCount);
    if (k === null) continue;
    const bin = bins[k]!;
    bin.count++;
    bin.sumForecast += forecast;
    bin.sumOutcome += outcome;
  }
  return { bins, total };
}

/** Σ (n_b / N) · |mean outcome − mean forecast| over non-empty bins, in the seed's operation order. */
export function expectedGap(bins: readonly BinTally[], total: number): number {
  let ece = 0;
  for (const bin of bins) {
    if (bin.count === 0) continue;
    ece += (bin.count / total) * Math.abs(bin.sumOutcome / bin.count - bin.sumForecast / bin.count);
  }
  return ece;
}

/** The largest |mean outcome − mean forecast| over non-empty bins (MCE). */
export function maximumGap(bins: readonly BinTally[]): number {
  let mce = 0;
  for (const bin of bins) {
    if (bin.count === 0) continue;
    mce = Math.max(mce, Math.abs(bin.sumOutcome / bin.count - bin.sumForecast / bin.count));
  }
  return mce;
}
