import type { ApiRole } from '@brier/contracts';
import { ApiTokenRepository, generateApiToken, hashApiToken } from '@brier/database';
import type { DataSource } from 'typeorm';

/**
 * The agent token of this test file's APIs: one random token (per test process, never written
 * down), stored hashed in every test database startTestApi migrates, so agents spawned by
 * apps/gpu-agent/test/support/agent-process.ts are let in without each test minting one, even
 * through a proxy. Unbound: any agent name may register with it.
 */
export const TEST_AGENT_TOKEN = generateApiToken();

export async function insertTestAgentToken(dataSource: DataSource): Promise<void> {
  await dataSource.query(
    `INSERT INTO api_tokens (name, role, token_hash, created_by) VALUES ('test-agents', 'agent', $1, 'test')
     ON CONFLICT (token_hash) DO NOTHING`,
    [hashApiToken(TEST_AGENT_TOKEN)],
  );
}

export interface TestToken {
  id: string;
  token: string;
  /** `{ authorization: 'Bearer …' }`, to spread into fetch headers. */
  headers: Record<string, string>;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A new token in a test API's database (what `brier tokens create` does). */
export async function mintToken(
  app: { get(type: typeof ApiTokenRepository): ApiTokenRepository },
  role: ApiRole,
  name = `test-${role}`,
  agentName?: string,
): Promise<TestToken> {
  const { token, record } = await app
    .get(ApiTokenRepository)
    .create({ name, role, createdBy: 'test', agentName: agentName ?? null });
  return { id: record.id, token, headers: bearer(token) };
}
