import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One `SUCCESS Step N | Time: … | Reward: …` line of prime-rl's orchestrator log (prime-rl's own numbers). */
@Entity({ name: 'orchestrator_steps' })
export class OrchestratorStepEntity {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @PrimaryColumn({ name: 'attempt', type: 'integer' })
  attempt!: number;

  @PrimaryColumn({ name: 'step', type: 'integer' })
  step!: number;

  @Column({ name: 'time_s', type: 'double precision', nullable: true })
  timeS!: number | null;

  /** prime-rl's reward over what it trains on: not the mean of the environment's rewards. */
  @Column({ name: 'reward', type: 'double precision', nullable: true })
  reward!: number | null;

  /** Tokens per sample. */
  @Column({ name: 'seq_len', type: 'double precision', nullable: true })
  seqLen!: number | null;

  @Column({ name: 'async_level', type: 'integer', nullable: true })
  asyncLevel!: number | null;

  @Column({ name: 'off_policy_level', type: 'integer', nullable: true })
  offPolicyLevel!: number | null;

  /** `Detected K/N rollouts (…)`: K. */
  @Column({ name: 'filtered_count', type: 'integer', nullable: true })
  filteredCount!: number | null;

  @Column({ name: 'filtered_total', type: 'integer', nullable: true })
  filteredTotal!: number | null;

  /** Per-filter counts, e.g. {"gibberish": 2}. */
  @Column({ name: 'filtered', type: 'jsonb', nullable: true })
  filtered!: Record<string, number> | null;

  @Column({ name: 'logged_at', type: 'timestamptz', default: () => 'now()' })
  loggedAt!: Date;
}
