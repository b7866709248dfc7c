import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type CheckpointKind = 'trainer' | 'weights' | 'broadcast';

/** A checkpoint prime-rl wrote; a resumed run restarts from the last complete one. */
@Entity({ name: 'checkpoints' })
export class CheckpointEntity {
  @PrimaryGeneratedColumn('increment', { name: 'id', type: 'bigint' })
  id!: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @Column({ name: 'attempt', type: 'integer' })
  attempt!: number;

  @Column({ name: 'step', type: 'integer' })
  step!: number;

  @Column({ name: 'kind', type: 'text' })
  kind!: CheckpointKind;

  /** Path on the agent host, inside its work directory. */
  @Column({ name: 'path', type: 'text' })
  path!: string;

  @Column({ name: 'complete', type: 'boolean', default: false })
  complete!: boolean;

  /** SHA-256 of its files' paths and sizes, as the agent found them once it was complete. */
  @Column({ name: 'fingerprint', type: 'text', nullable: true })
  fingerprint!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
