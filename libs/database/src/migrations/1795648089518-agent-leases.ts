import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the agent-facing API needs beyond the initial schema:
 * - run_attempts.gpu_indices: the GPUs an attempt reserved on its agent (GET /v1/agents shows what
 *   runs on each GPU; a claim is refused when a GPU is already leased to another running attempt);
 * - run_logs (run_id, id): a run's log in commit order, for paging by id and the live SSE stream
 *   (the unique (run_id, attempt, stream, seq) index cannot serve `id > $cursor ORDER BY id`).
 */
const UP = [
  `ALTER TABLE run_attempts ADD COLUMN gpu_indices integer[] NOT NULL DEFAULT '{}'`,
  `CREATE INDEX run_logs_run_id_id_idx ON run_logs (run_id, id)`,
];

const DOWN = [`DROP INDEX run_logs_run_id_id_idx`, `ALTER TABLE run_attempts DROP COLUMN gpu_indices`];

export class AgentLeases1795648089518 implements MigrationInterface {
  name = 'AgentLeases1795648089518';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of UP) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of DOWN) await queryRunner.query(statement);
  }
}
