import type { Prediction } from './prediction.js';

/** Murphy (1973): Brier = reliability − resolution + uncertainty. */
export interface BrierDecomposition {
  brier: number;
  reliability: number;
  resolution: number;
  uncertainty: number;
}

/**
 * Murphy's decomposition grouped by distinct forecast value. Answers state whole percentages, so
 * forecasts take at most 101 values and the identity holds exactly (up to rounding), unlike the
 * binned variant whose within-bin variance leaks into a residual.
 */
export function murphyDecomposition(predictions: readonly Prediction[]): BrierDecomposition {
  const n = predictions.length;
  if (n === 0) return { brier: NaN, reliability: NaN, resolution: NaN, uncertainty: NaN };
  const groups = new Map<number, { count: number; yes: number }>();
  let yes = 0;
  let brierSum = 0;
  for (const { pYes, label } of predictions) {
    const group = groups.get(pYes) ?? { count: 0, yes: 0 };
    group.count++;
    group.yes += label;
    groups.set(pYes, group);
    yes += label;
    brierSum += (pYes - label) ** 2;
  }
  const base = yes / n;
  let reliability = 0;
  let resolution = 0;
  for (const [forecast, group] of groups) {
    const observed = group.yes / group.count;
    reliability += (group.count / n) * (forecast - observed) ** 2;
    resolution += (group.count / n) * (observed - base) ** 2;
  }
  return { brier: brierSum / n, reliability, resolution, uncertainty: base * (1 - base) };
}
