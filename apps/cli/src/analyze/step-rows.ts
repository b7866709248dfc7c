import { summarizeRollouts, type ScoredRollout, type StepMetrics } from '@brier/calibration';

/** The columns of `brier analyze` (an interface: scripts read them by name). */
export const STEP_COLUMNS = [
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

export type StepRow = { step: number } & StepMetrics;

export function stepRows(steps: Map<number, ScoredRollout[]>): StepRow[] {
  return [...steps.keys()]
    .sort((a, b) => a - b)
    .map((step) => ({ step, ...summarizeRollouts(steps.get(step)!) }));
}
