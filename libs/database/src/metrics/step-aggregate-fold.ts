import { binIndex } from '@brier/calibration';

const BINS = 10;

/**
 * One (step, attempt)'s sums over rollouts, as a step_aggregates row holds them (run_id aside):
 * the same columns and definitions as foldRolloutsSql in metrics.sql.ts, computed in JavaScript
 * where the rows are encoded (a parse worker), so that a batch stored whole needs no fold in the
 * database. Integration tests hold both folds to each other and to libs/calibration.
 */
export interface StepAggregateSums {
  step: number;
  attempt: number;
  n: number;
  n_parseable: number;
  n_parse_known: number;
  sum_reward: number;
  n_reward: number;
  sum_reward_brier: number;
  n_reward_brier: number;
  sum_brier: number;
  sum_approx_tokens: number;
  n_length: number;
  n_penalized: number;
  n_penalty_known: number;
  n_correct: number;
  bin_n: number[];
  bin_sum_p: number[];
  bin_sum_label: number[];
  top_bin_n: number[];
  top_bin_sum_conf: number[];
  top_bin_sum_correct: number[];
}

/** Postgres types of StepAggregateSums' columns, in STEP_AGGREGATE_COLUMNS order (run_id aside). */
export const STEP_AGGREGATE_SUM_TYPES: Readonly<Record<keyof StepAggregateSums, string>> = {
  step: 'integer',
  attempt: 'integer',
  n: 'integer',
  n_parseable: 'integer',
  n_parse_known: 'integer',
  sum_reward: 'double precision',
  n_reward: 'integer',
  sum_reward_brier: 'double precision',
  n_reward_brier: 'integer',
  sum_brier: 'double precision',
  sum_approx_tokens: 'double precision',
  n_length: 'integer',
  n_penalized: 'integer',
  n_penalty_known: 'integer',
  n_correct: 'integer',
  bin_n: 'integer[]',
  bin_sum_p: 'double precision[]',
  bin_sum_label: 'integer[]',
  top_bin_n: 'integer[]',
  top_bin_sum_conf: 'double precision[]',
  top_bin_sum_correct: 'integer[]',
};

/** What a row contributes (RolloutRow's fields). */
export interface FoldedRow {
  step: number;
  attempt: number;
  pYes: number;
  label: 0 | 1;
  brier: number;
  parseable?: boolean | null;
  rewardTrainer?: number | null;
  rewardBrier?: number | null;
  approxTokens?: number | null;
  lengthPenalty?: number | null;
}

const zeros = (): number[] => new Array<number>(BINS).fill(0);

function empty(step: number, attempt: number): StepAggregateSums {
  return {
    step,
    attempt,
    n: 0,
    n_parseable: 0,
    n_parse_known: 0,
    sum_reward: 0,
    n_reward: 0,
    sum_reward_brier: 0,
    n_reward_brier: 0,
    sum_brier: 0,
    sum_approx_tokens: 0,
    n_length: 0,
    n_penalized: 0,
    n_penalty_known: 0,
    n_correct: 0,
    bin_n: zeros(),
    bin_sum_p: zeros(),
    bin_sum_label: zeros(),
    top_bin_n: zeros(),
    top_bin_sum_conf: zeros(),
    top_bin_sum_correct: zeros(),
  };
}

const present = (value: unknown): value is number | boolean => value !== null && value !== undefined;

/** Sums by (step, attempt), row by row or sums by sums. */
export class StepAggregateFold {
  private readonly sums = new Map<number, StepAggregateSums>();

  get size(): number {
    return this.sums.size;
  }

  /** Add one row (its p_yes in [0, 1], as validated rows have). */
  add(row: FoldedRow): void {
    const s = this.sumsOf(row.step, row.attempt);
    const p = row.pYes;
    s.n += 1;
    if (present(row.parseable)) {
      s.n_parse_known += 1;
      if (row.parseable) s.n_parseable += 1;
    }
    if (present(row.rewardTrainer)) {
      s.sum_reward += row.rewardTrainer;
      s.n_reward += 1;
    }
    if (present(row.rewardBrier)) {
      s.sum_reward_brier += row.rewardBrier;
      s.n_reward_brier += 1;
    }
    s.sum_brier += row.brier;
    if (present(row.approxTokens)) {
      s.sum_approx_tokens += row.approxTokens;
      s.n_length += 1;
    }
    if (present(row.lengthPenalty)) {
      s.n_penalty_known += 1;
      if (row.lengthPenalty < 0) s.n_penalized += 1;
    }
    // As the SQL: correct = (p > 0.5) = (label = 1); top-label confidence p or 1 − p (0.5 predicts NO).
    const correct = p > 0.5 === (row.label === 1) ? 1 : 0;
    s.n_correct += correct;
    const bin = binIndex(p, BINS);
    if (bin !== null) {
      s.bin_n[bin]! += 1;
      s.bin_sum_p[bin]! += p;
      s.bin_sum_label[bin]! += row.label;
    }
    const conf = p > 0.5 ? p : 1 - p;
    const top = binIndex(conf, BINS);
    if (top !== null) {
      s.top_bin_n[top]! += 1;
      s.top_bin_sum_conf[top]! += conf;
      s.top_bin_sum_correct[top]! += correct;
    }
  }

  /** Add sums made elsewhere (another batch's). */
  merge(rows: readonly StepAggregateSums[]): void {
    for (const row of rows) {
      const s = this.sumsOf(row.step, row.attempt);
      for (const key of Object.keys(STEP_AGGREGATE_SUM_TYPES) as (keyof StepAggregateSums)[]) {
        if (key === 'step' || key === 'attempt') continue;
        const value = row[key];
        if (Array.isArray(value)) {
          const into = s[key] as number[];
          for (let k = 0; k < BINS; k++) into[k]! += value[k]!;
        } else {
          (s[key] as number) += value;
        }
      }
    }
  }

  /** The sums, by step then attempt. */
  rows(): StepAggregateSums[] {
    return [...this.sums.values()].sort((a, b) => a.step - b.step || a.attempt - b.attempt);
  }

  private sumsOf(step: number, attempt: number): StepAggregateSums {
    const key = step * 2 ** 31 + attempt;
    let sums = this.sums.get(key);
    if (sums === undefined) {
      sums = empty(step, attempt);
      this.sums.set(key, sums);
    }
    return sums;
  }
}
