import type { Label } from '../reward/score.js';

/** One forecast and its outcome: P(YES) (0.5 for unparseable answers, as the seed) and the YES label. */
export interface Prediction {
  pYes: number;
  label: Label;
}

/** The seed's accuracy rule: p > 0.5 means YES, so p = 0.5 counts as NO. */
export function predictsYes(pYes: number): boolean {
  return pYes > 0.5;
}

export function isCorrect(prediction: Prediction): boolean {
  return predictsYes(prediction.pYes) === (prediction.label === 1);
}

/** Fraction of correct predictions; NaN for an empty set. */
export function accuracy(predictions: readonly Prediction[]): number {
  let correct = 0;
  for (const p of predictions) if (isCorrect(p)) correct++;
  return correct / predictions.length;
}

/** Mean squared error of P(YES) against the label; NaN for an empty set. */
export function brierScore(predictions: readonly Prediction[]): number {
  let sum = 0;
  for (const { pYes, label } of predictions) sum += (pYes - label) ** 2;
  return sum / predictions.length;
}
