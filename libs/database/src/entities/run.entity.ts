import type { RunKind, RunStatus } from '@brier/contracts';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A training, evaluation or import run: the control plane's unit of work. */
@Entity({ name: 'runs' })
export class RunEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'id' })
  id!: string;

  @Column({ name: 'kind', type: 'text' })
  kind!: RunKind;

  @Column({ name: 'name', type: 'text' })
  name!: string;

  /** Free text for people, as submitted (CreateRunDto.description); null when none was given. */
  @Column({ name: 'description', type: 'text', nullable: true })
  description!: string | null;

  @Column({ name: 'status', type: 'text', default: 'queued' })
  status!: RunStatus;

  /** The validated run spec (DTOs in @brier/contracts), as submitted. */
  @Column({ name: 'spec', type: 'jsonb' })
  spec!: unknown;

  @Column({ name: 'spec_version', type: 'integer' })
  specVersion!: number;

  @Column({ name: 'preset', type: 'text', nullable: true })
  preset!: string | null;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true, unique: true })
  idempotencyKey!: string | null;

  @Column({ name: 'gpu_count', type: 'integer', default: 1 })
  gpuCount!: number;

  @Column({ name: 'gpu_type', type: 'text', nullable: true })
  gpuType!: string | null;

  @Column({ name: 'labels', type: 'text', array: true, default: () => "'{}'" })
  labels!: string[];

  @Column({ name: 'max_steps', type: 'integer', nullable: true })
  maxSteps!: number | null;

  @Column({ name: 'progress_step', type: 'integer', nullable: true })
  progressStep!: number | null;

  /** Current attempt number (0 before the first claim). */
  @Column({ name: 'attempt', type: 'integer', default: 0 })
  attempt!: number;

  @Column({ name: 'agent_id', type: 'uuid', nullable: true })
  agentId!: string | null;

  /** Fencing token of the current claim: every write of the running agent must present it. */
  @Column({ name: 'lease_token', type: 'uuid', nullable: true })
  leaseToken!: string | null;

  @Column({ name: 'heartbeat_at', type: 'timestamptz', nullable: true })
  heartbeatAt!: Date | null;

  @Column({ name: 'cancel_requested_at', type: 'timestamptz', nullable: true })
  cancelRequestedAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  /** Maintained by a trigger on every UPDATE. */
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ name: 'exit_code', type: 'integer', nullable: true })
  exitCode!: number | null;

  @Column({ name: 'error', type: 'jsonb', nullable: true })
  error!: unknown;

  @Column({ name: 'created_by', type: 'text', nullable: true })
  createdBy!: string | null;
}
