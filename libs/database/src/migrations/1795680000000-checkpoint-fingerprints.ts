import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * checkpoints.fingerprint: what the agent found in a complete checkpoint's directory (SHA-256 of
 * its files' paths and sizes). A later attempt checks the directory against it before trusting
 * it, and a run lost after training ended is re-committed from its fingerprinted final
 * checkpoint instead of re-running the GPU (reliability.md §2.11 #16). Null for checkpoints
 * reported before, or not complete yet.
 */
const UP = [
  `ALTER TABLE checkpoints ADD COLUMN fingerprint text
     CONSTRAINT checkpoints_fingerprint_sha256 CHECK (fingerprint ~ '^[0-9a-f]{64}$')`,
];

const DOWN = [`ALTER TABLE checkpoints DROP COLUMN fingerprint`];

export class CheckpointFingerprints1795680000000 implements MigrationInterface {
  name = 'CheckpointFingerprints1795680000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of UP) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of DOWN) await queryRunner.query(statement);
  }
}
