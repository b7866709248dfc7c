import { binEdges, SEED_BIN_COUNT } from '@brier/calibration';

/**
 * One step's metrics (keys as libs/calibration's StepMetrics and the API's /metrics), computed from
 * the step's current (latest) attempt. Null where the source lacks the field for some rows.
 */
export interface RunStepMetrics {
  step: number;
  /** The attempt whose rollouts these are. */
  attempt: number;
  n: number;
  parse_rate: number | null;
  /** Mean reward as the environment / trainer computed it. */
  reward: number | null;
  /** Mean reward as libs/calibration recomputed it. */
  reward_brier: number | null;
  brier: number;
  ece: number;
  ece_top_label: number;
  mce: number;
  accuracy: number;
  mean_length: number | null;
  penalized_share: number | null;
  /** prime-rl's logged per-step reward (over what it trains on: not the mean of the rows). */
  orchestrator_reward: number | null;
  /** prime-rl's logged tokens per sample. */
  orchestrator_seq_len: number | null;
}

export interface ReliabilityBinStats {
  index: number;
  lo: number;
  hi: number;
  center: number;
  count: number;
  /** Mean P(YES) in the bin; null when empty. */
  mean_p: number | null;
  /** Observed fraction of YES labels; null when empty. */
  observed: number | null;
}

export interface ReliabilityGroup {
  /** Group g pools steps [g·size, (g+1)·size). */
  group: number;
  first_step: number;
  last_step: number;
  /** Steps of the group that have rollouts. */
  steps: number;
  n: number;
  bins: ReliabilityBinStats[];
}

export interface StepMetricValue {
  run_id: string;
  step: number;
  value: number | null;
}

export interface EnsembleQuestion {
  /** The example id, or `prompt:<id>` for a rollout source without example ids. */
  question: string;
  /** Rollouts of the question in the steps. */
  n: number;
  /** The ensemble forecast: mean P(YES) over those rollouts. */
  mean_p: number;
  label: 0 | 1;
  /** The question's rollouts disagree on the label (max is used): a data problem. */
  mixed_labels: boolean;
  brier: number;
  /** Positive-class bin of mean_p (0–9). */
  bin: number;
}

export interface EnsembleSummary {
  questions: number;
  rollouts: number;
  /** Rollouts with neither example id nor prompt: not in any ensemble. */
  unidentified: number;
  mixed_label_questions: number;
  /** Steps of the range that have rollouts. */
  steps: number;
  brier: number | null;
  ece: number | null;
  mce: number | null;
  accuracy: number | null;
}

export const EMPTY_ENSEMBLE_SUMMARY: Readonly<EnsembleSummary> = {
  questions: 0,
  rollouts: 0,
  unidentified: 0,
  mixed_label_questions: 0,
  steps: 0,
  brier: null,
  ece: null,
  mce: null,
  accuracy: null,
};

/** A row of the step metrics queries: RunStepMetrics and the run. */
export type MetricsRow = RunStepMetrics & { run_id: string };

export function toStepMetrics({ run_id: _runId, ...row }: MetricsRow): RunStepMetrics {
  return row;
}

/** A row of RELIABILITY_BY_RUN: one bin of one group of steps. */
export interface ReliabilityRow {
  group: number;
  steps: number;
  n: number;
  bin: number;
  count: number;
  mean_p: number | null;
  observed: number | null;
}

/** Fold RELIABILITY_BY_RUN rows into groups with exact bin edges. */
export function groupReliabilityRows(rows: readonly ReliabilityRow[], groupSize: number): ReliabilityGroup[] {
  const edges = binEdges(SEED_BIN_COUNT);
  const groups = new Map<number, ReliabilityGroup>();
  for (const row of rows) {
    let group = groups.get(row.group);
    if (!group) {
      group = {
        group: row.group,
        first_step: row.group * groupSize,
        last_step: row.group * groupSize + groupSize - 1,
        steps: row.steps,
        n: row.n,
        bins: [],
      };
      groups.set(row.group, group);
    }
    const { lo, hi, center } = edges[row.bin]!;
    group.bins.push({
      index: row.bin,
      lo,
      hi,
      center,
      count: row.count,
      mean_p: row.mean_p,
      observed: row.observed,
    });
  }
  return [...groups.values()];
}
