import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One scored rollout. The natural key (run, step, attempt, sample_key) is the primary key, so a
 * replayed row is skipped. The table is hash-partitioned by run_id (TypeORM only reads it here:
 * schema changes are hand-written migrations). Write through RolloutIngestRepository, which also
 * maintains step_aggregates.
 */
@Entity({ name: 'rollouts' })
export class RolloutEntity {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @PrimaryColumn({ name: 'step', type: 'integer' })
  step!: number;

  @PrimaryColumn({ name: 'attempt', type: 'integer' })
  attempt!: number;

  /** Natural key within a step: `<example_id>#<k>`, or the source file's row index. */
  @PrimaryColumn({ name: 'sample_key', type: 'text' })
  sampleKey!: string;

  /** prompts.id (int8, so a string); null when the source has no prompts (calibration_metrics.csv). */
  @Column({ name: 'prompt_id', type: 'bigint', nullable: true })
  promptId!: string | null;

  @Column({ name: 'example_id', type: 'text', nullable: true })
  exampleId!: string | null;

  /** 1 = YES is the right answer. */
  @Column({ name: 'label', type: 'smallint' })
  label!: 0 | 1;

  @Column({ name: 'completion', type: 'text', nullable: true })
  completion!: string | null;

  @Column({ name: 'answer_text', type: 'text', nullable: true })
  answerText!: string | null;

  /** P(YES) as scored; 0.5 when unparseable (the seed's convention). */
  @Column({ name: 'p_yes', type: 'double precision' })
  pYes!: number;

  /** P(YES) extracted from the answer line; null when unparseable. */
  @Column({ name: 'p_yes_extracted', type: 'double precision', nullable: true })
  pYesExtracted!: number | null;

  /** null when the source cannot tell. */
  @Column({ name: 'parseable', type: 'boolean', nullable: true })
  parseable!: boolean | null;

  @Column({ name: 'brier', type: 'double precision' })
  brier!: number;

  @Column({ name: 'length_penalty', type: 'double precision', nullable: true })
  lengthPenalty!: number | null;

  /** Reward as the environment / trainer computed it (penalty included). */
  @Column({ name: 'reward_trainer', type: 'double precision', nullable: true })
  rewardTrainer!: number | null;

  /** Reward as libs/calibration recomputed it. */
  @Column({ name: 'reward_brier', type: 'double precision', nullable: true })
  rewardBrier!: number | null;

  @Column({ name: 'completion_chars', type: 'integer', nullable: true })
  completionChars!: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens!: number | null;

  /** Characters / 4, the seed's length measure. */
  @Column({ name: 'approx_tokens', type: 'double precision', nullable: true })
  approxTokens!: number | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
