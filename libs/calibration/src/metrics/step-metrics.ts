import { adaptiveEce, maxCalibrationError, positiveClassEce, topLabelEce } from './calibration-error.js';
import { murphyDecomposition } from './brier-decomposition.js';
import { accuracy, type Prediction } from './prediction.js';

/** A scored rollout as the metrics need it. Unknown fields are null (the seed's CSV lacks several). */
export interface ScoredRollout extends Prediction {
  /** null when the source cannot tell (the seed's CSV column is always 1). */
  parseable: boolean | null;
  /** Reward as recorded by the trainer's environment (includes the length penalty). */
  reward: number | null;
  /** Brier score as recorded ((p − label)², with p = 0.5 when unparseable). */
  brier: number;
  /** Characters / 4. */
  approxTokens: number | null;
  lengthPenalty: number | null;
}

/**
 * Metrics of one group of rollouts (usually one training step). Keys are the interface shared by
 * `brier analyze`, the API's /metrics and the admin panel: keep their spelling.
 */
export interface StepMetrics {
  n: number;
  parse_rate: number | null;
  reward: number | null;
  brier: number;
  ece: number;
  ece_top_label: number;
  ece_adaptive: number;
  mce: number;
  accuracy: number;
  mean_length: number | null;
  penalized_share: number | null;
  brier_reliability: number;
  brier_resolution: number;
  brier_uncertainty: number;
}

/**
 * The per-step columns of `brier analyze` and `GET /v1/runs/{id}/metrics`, in display order: an
 * interface that scripts read by name. StepMetrics has these and more.
 */
export const STEP_METRIC_COLUMNS = [
  'step',
  'n',
  'parse_rate',
  'reward',
  'brier',
  'ece',
  'ece_top_label',
  'mce',
  'accuracy',
  'mean_length',
] as const;

/** Mean of a field, or null when any row lacks it. */
function meanOf(rows: readonly ScoredRollout[], pick: (row: ScoredRollout) => number | null): number | null {
  let sum = 0;
  for (const row of rows) {
    const value = pick(row);
    if (value === null) return null;
    sum += value;
  }
  return sum / rows.length;
}

function shareOf(
  rows: readonly ScoredRollout[],
  test: (row: ScoredRollout) => boolean | null,
): number | null {
  let hits = 0;
  for (const row of rows) {
    const hit = test(row);
    if (hit === null) return null;
    if (hit) hits++;
  }
  return hits / rows.length;
}

/** Every per-step metric of the seed (reward, Brier, ECE, accuracy) and the literature's others. */
export function summarizeRollouts(rows: readonly ScoredRollout[]): StepMetrics {
  const murphy = murphyDecomposition(rows);
  return {
    n: rows.length,
    parse_rate: shareOf(rows, (r) => r.parseable),
    reward: meanOf(rows, (r) => r.reward),
    brier: meanOf(rows, (r) => r.brier)!,
    ece: positiveClassEce(rows),
    ece_top_label: topLabelEce(rows),
    ece_adaptive: adaptiveEce(rows),
    mce: maxCalibrationError(rows),
    accuracy: accuracy(rows),
    mean_length: meanOf(rows, (r) => r.approxTokens),
    penalized_share: shareOf(rows, (r) => (r.lengthPenalty === null ? null : r.lengthPenalty < 0)),
    brier_reliability: murphy.reliability,
    brier_resolution: murphy.resolution,
    brier_uncertainty: murphy.uncertainty,
  };
}
