import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Running sums per (run, step, attempt), folded in on ingest from the rows actually inserted, so a
 * dashboard never scans rollouts. Counts `n_*` go with sums `sum_*`; a metric whose field some rows
 * lack (n_reward < n, …) is reported as unknown, like libs/calibration does.
 */
@Entity({ name: 'step_aggregates' })
export class StepAggregateEntity {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @PrimaryColumn({ name: 'step', type: 'integer' })
  step!: number;

  @PrimaryColumn({ name: 'attempt', type: 'integer' })
  attempt!: number;

  @Column({ name: 'n', type: 'integer' })
  n!: number;

  @Column({ name: 'n_parseable', type: 'integer' })
  nParseable!: number;

  /** Rows whose parseable is known (not null). */
  @Column({ name: 'n_parse_known', type: 'integer' })
  nParseKnown!: number;

  /** Σ reward_trainer over the n_reward rows that have one. */
  @Column({ name: 'sum_reward', type: 'double precision' })
  sumReward!: number;

  @Column({ name: 'n_reward', type: 'integer' })
  nReward!: number;

  @Column({ name: 'sum_reward_brier', type: 'double precision' })
  sumRewardBrier!: number;

  @Column({ name: 'n_reward_brier', type: 'integer' })
  nRewardBrier!: number;

  @Column({ name: 'sum_brier', type: 'double precision' })
  sumBrier!: number;

  @Column({ name: 'sum_approx_tokens', type: 'double precision' })
  sumApproxTokens!: number;

  /** Rows with approx_tokens. */
  @Column({ name: 'n_length', type: 'integer' })
  nLength!: number;

  /** Rows with length_penalty < 0. */
  @Column({ name: 'n_penalized', type: 'integer' })
  nPenalized!: number;

  /** Rows with a known length_penalty. */
  @Column({ name: 'n_penalty_known', type: 'integer' })
  nPenaltyKnown!: number;

  /** Rows with (p_yes > 0.5) = (label = 1). */
  @Column({ name: 'n_correct', type: 'integer' })
  nCorrect!: number;

  /** Positive-class bins (brier_bin(p_yes)): count, Σ p, Σ label. */
  @Column({ name: 'bin_n', type: 'integer', array: true })
  binN!: number[];

  @Column({ name: 'bin_sum_p', type: 'double precision', array: true })
  binSumP!: number[];

  @Column({ name: 'bin_sum_label', type: 'integer', array: true })
  binSumLabel!: number[];

  /** Top-label bins (brier_bin(max(p, 1 − p)), p = 0.5 predicting NO): count, Σ confidence, Σ correct. */
  @Column({ name: 'top_bin_n', type: 'integer', array: true })
  topBinN!: number[];

  @Column({ name: 'top_bin_sum_conf', type: 'double precision', array: true })
  topBinSumConf!: number[];

  @Column({ name: 'top_bin_sum_correct', type: 'integer', array: true })
  topBinSumCorrect!: number[];

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
