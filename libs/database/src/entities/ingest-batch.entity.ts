import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One received rollout batch: its id makes a replayed batch a no-op. */
@Entity({ name: 'ingest_batches' })
export class IngestBatchEntity {
  @PrimaryColumn({ name: 'batch_id', type: 'text' })
  batchId!: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;

  @Column({ name: 'row_count', type: 'integer' })
  rowCount!: number;

  /** Rows new to the database. */
  @Column({ name: 'inserted', type: 'integer', nullable: true })
  inserted!: number | null;

  /** Rows already present (or duplicated within the batch). */
  @Column({ name: 'skipped', type: 'integer', nullable: true })
  skipped!: number | null;
}
