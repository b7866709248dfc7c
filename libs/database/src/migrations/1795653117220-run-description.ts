import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * runs.description: the free text a run request may carry (CreateRunDto.description, already
 * validated: at most RUN_LIMITS.descriptionMaxLength printable characters), stored as submitted
 * and shown in the run DTO. Nullable: older runs and requests without one have none.
 */
const UP = [`ALTER TABLE runs ADD COLUMN description text`];

const DOWN = [`ALTER TABLE runs DROP COLUMN description`];

export class RunDescription1795653117220 implements MigrationInterface {
  name = 'RunDescription1795653117220';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of UP) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of DOWN) await queryRunner.query(statement);
  }
}
