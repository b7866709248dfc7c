import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * api_tokens: the API's bearer tokens (docs/security.md). Only the SHA-256 of a token is stored
 * (tokens are 256 random bits: a fast hash is enough, and lookups are by its unique index); the
 * token itself is shown once, when it is created. `name` is who the token speaks for: runs it
 * submits are owned by that name (runs.created_by), so a new token of the same name (rotation)
 * keeps them. `agent_name` binds an agent token to one agent name (NULL: any name it registers).
 *
 * agents.token_id: the token that registered the agent's current incarnation, so an agent
 * token reaches only the runs leased to its own agents.
 */
const UP = [
  `CREATE TABLE api_tokens (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     name text NOT NULL,
     role text NOT NULL CHECK (role IN ('admin', 'researcher', 'viewer', 'agent')),
     token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
     agent_name text CHECK (agent_name IS NULL OR role = 'agent'),
     created_at timestamptz NOT NULL DEFAULT now(),
     created_by text NOT NULL,
     last_used_at timestamptz,
     revoked_at timestamptz
   )`,
  `ALTER TABLE agents ADD COLUMN token_id uuid REFERENCES api_tokens (id) ON DELETE SET NULL`,
];

const DOWN = [`ALTER TABLE agents DROP COLUMN token_id`, `DROP TABLE api_tokens`];

export class ApiTokens1795670000000 implements MigrationInterface {
  name = 'ApiTokens1795670000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of UP) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of DOWN) await queryRunner.query(statement);
  }
}
