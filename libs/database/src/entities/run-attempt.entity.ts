import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type RunAttemptStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'lost';

/** One claim of a run by an agent: a run that is lost and resumed has several. */
@Entity({ name: 'run_attempts' })
export class RunAttemptEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'id' })
  id!: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId!: string;

  /** 1, 2, …: unique per run. */
  @Column({ name: 'number', type: 'integer' })
  number!: number;

  @Column({ name: 'agent_id', type: 'uuid', nullable: true })
  agentId!: string | null;

  @Column({ name: 'lease_token', type: 'uuid' })
  leaseToken!: string;

  @Column({ name: 'status', type: 'text', default: 'running' })
  status!: RunAttemptStatus;

  /** The checkpoint step this attempt resumed from; null for a fresh start. */
  @Column({ name: 'resume_step', type: 'integer', nullable: true })
  resumeStep!: number | null;

  /** The GPUs (nvidia-smi indices on its agent) this attempt reserved. */
  @Column({ name: 'gpu_indices', type: 'integer', array: true, default: () => "'{}'" })
  gpuIndices!: number[];

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ name: 'exit_code', type: 'integer', nullable: true })
  exitCode!: number | null;

  @Column({ name: 'signal', type: 'text', nullable: true })
  signal!: string | null;

  @Column({ name: 'error', type: 'jsonb', nullable: true })
  error!: unknown;
}
