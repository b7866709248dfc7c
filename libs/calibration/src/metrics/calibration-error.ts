import { expectedGap, maximumGap, tallyBins } from './bins.js';
import { isCorrect, predictsYes, type Prediction } from './prediction.js';

export const SEED_BIN_COUNT = 10;

function* positiveClass(predictions: readonly Prediction[]): Iterable<[number, number]> {
  for (const { pYes, label } of predictions) yield [pYes, label];
}

function* topLabel(predictions: readonly Prediction[]): Iterable<[number, number]> {
  for (const p of predictions) yield [predictsYes(p.pYes) ? p.pYes : 1 - p.pYes, isCorrect(p) ? 1 : 0];
}

/**
 * The seed's ECE: equal-width bins over P(YES) against the YES label (positive-class ECE, as
 * netcal's 1-D ECE and torchmetrics' BinaryCalibrationError). NaN for an empty set.
 */
export function positiveClassEce(predictions: readonly Prediction[], binCount = SEED_BIN_COUNT): number {
  if (predictions.length === 0) return NaN;
  const { bins, total } = tallyBins(positiveClass(predictions), binCount);
  return expectedGap(bins, total);
}

/**
 * Top-label ECE (Guo et al. 2017): confidence in the predicted class, max(p, 1 − p) with p = 0.5
 * predicting NO, against whether the prediction was right.
 */
export function topLabelEce(predictions: readonly Prediction[], binCount = SEED_BIN_COUNT): number {
  if (predictions.length === 0) return NaN;
  const { bins, total } = tallyBins(topLabel(predictions), binCount);
  return expectedGap(bins, total);
}

/** Maximum calibration error over the seed's positive-class bins. */
export function maxCalibrationError(predictions: readonly Prediction[], binCount = SEED_BIN_COUNT): number {
  if (predictions.length === 0) return NaN;
  return maximumGap(tallyBins(positiveClass(predictions), binCount).bins);
}

/**
 * Equal-mass (adaptive) ECE (Nixon et al. 2019): predictions sorted by P(YES) and cut into
 * `binCount` bins of (nearly) equal size; bin b holds sorted positions [⌊bN/B⌋, ⌊(b+1)N/B⌋).
 */
export function adaptiveEce(predictions: readonly Prediction[], binCount = SEED_BIN_COUNT): number {
  const n = predictions.length;
  if (n === 0) return NaN;
  const sorted = [...predictions].sort((a, b) => a.pYes - b.pYes);
  let ece = 0;
  for (let b = 0; b < binCount; b++) {
    const start = Math.floor((b * n) / binCount);
    const end = Math.floor(((b + 1) * n) / binCount);
    if (end === start) continue;
    let sumP = 0;
    let sumY = 0;
    for (let i = start; i < end; i++) {
      sumP += sorted[i]!.pYes;
      sumY += sorted[i]!.label;
    }
    const count = end - start;
    ece += (count / n) * Math.abs(sumY / count - sumP / count);
  }
  return ece;
}
