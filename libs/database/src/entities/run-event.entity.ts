import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only history of a run: status transitions and other notable happenings. */
@Entity({ name: 'run_events' })
export class RunEventEntity {
  /** bigserial: a string, as node-postgres returns int8. */
  @PrimaryGeneratedColumn('increment', { name: 'id', type: 'bigint' })
  id!: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @Column({ name: 'at', type: 'timestamptz', default: () => 'now()' })
  at!: Date;

  @Column({ name: 'type', type: 'text' })
  type!: string;

  @Column({ name: 'from_status', type: 'text', nullable: true })
  fromStatus!: string | null;

  @Column({ name: 'to_status', type: 'text', nullable: true })
  toStatus!: string | null;

  /** Who did it: 'api', 'agent:<name>', 'reaper', a user. */
  @Column({ name: 'actor', type: 'text' })
  actor!: string;

  @Column({ name: 'reason', type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'data', type: 'jsonb', nullable: true })
  data!: unknown;
}
