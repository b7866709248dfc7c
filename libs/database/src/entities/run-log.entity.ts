import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type RunLogStream = 'stdout' | 'stderr' | 'agent';

/** One log line; (run, attempt, stream, seq) is unique so a replayed batch of lines is a no-op. */
@Entity({ name: 'run_logs' })
export class RunLogEntity {
  @PrimaryGeneratedColumn('increment', { name: 'id', type: 'bigint' })
  id!: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @Column({ name: 'attempt', type: 'integer' })
  attempt!: number;

  @Column({ name: 'stream', type: 'text' })
  stream!: RunLogStream;

  /** Sequence number within (run, attempt, stream), assigned by the agent: int8, so a string. */
  @Column({ name: 'seq', type: 'bigint' })
  seq!: string;

  @Column({ name: 'line', type: 'text' })
  line!: string;

  @Column({ name: 'at', type: 'timestamptz', default: () => 'now()' })
  at!: Date;
}
