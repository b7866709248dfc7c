import {
  STEP_METRIC_COLUMNS,
  summarizeRollouts,
  type ScoredRollout,
  type StepMetrics,
} from '@brier/calibration';

/** The columns of `brier analyze` (an interface: scripts read them by name). */
export const STEP_COLUMNS = STEP_METRIC_COLUMNS;

export type StepRow = { step: number } & StepMetrics;

export function stepRows(steps: Map<number, ScoredRollout[]>): StepRow[] {
  return [...steps.keys()]
    .sort((a, b) => a - b)
    .map((step) => ({ step, ...summarizeRollouts(steps.get(step)!) }));
}
