import { binEdges, tallyBins } from './bins.js';
import { SEED_BIN_COUNT } from './calibration-error.js';
import type { Prediction } from './prediction.js';

export interface ReliabilityBin {
  index: number;
  lo: number;
  hi: number;
  center: number;
  count: number;
  /** Mean P(YES) in the bin; null when empty. */
  meanP: number | null;
  /** Observed fraction of YES labels in the bin; null when empty. */
  observed: number | null;
}

/** Reliability-diagram bins (the seed's: 10 equal-width bins of P(YES) against the YES label). */
export function reliabilityBins(
  predictions: readonly Prediction[],
  binCount = SEED_BIN_COUNT,
): ReliabilityBin[] {
  const pairs = predictions.map((p) => [p.pYes, p.label] as const);
  const { bins } = tallyBins(pairs, binCount);
  return binEdges(binCount).map((edges) => {
    const bin = bins[edges.index]!;
    return {
      ...edges,
      count: bin.count,
      meanP: bin.count ? bin.sumForecast / bin.count : null,
      observed: bin.count ? bin.sumOutcome / bin.count : null,
    };
  });
}
