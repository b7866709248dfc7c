import { ApiTokenRepository, createDataSource } from '@brier/database';
import { createTestDatabase, type TestDatabase } from '@brier/database/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// scripts/start/*.mjs are plain JavaScript: describe what is used here.
interface StartTokens {
  ensureStartTokens: (
    databaseUrl: string,
    options: { say: (text: string) => void },
  ) => Promise<{ adminToken: string | null; agentToken: string }>;
}
const { ensureStartTokens } = (await import(
  new URL('../scripts/start/start-tokens.mjs', import.meta.url).href
)) as StartTokens;

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe("npm start's tokens (scripts/start/start-tokens.mjs)", () => {
  it('creates and prints the first admin token once; a new agent token each start, the old one revoked', async () => {
    const said: string[] = [];
    const first = await ensureStartTokens(db.url, { say: (text) => said.push(text) });
    expect(first.adminToken).toMatch(/^brier_[A-Za-z0-9_-]{43}$/);
    expect(said.join('\n')).toContain(first.adminToken);

    const again: string[] = [];
    const second = await ensureStartTokens(db.url, { say: (text) => again.push(text) });
    expect(second.adminToken).toBeNull();
    expect(again).toEqual([]);
    expect(second.agentToken).not.toBe(first.agentToken);

    const dataSource = await createDataSource(db.url).initialize();
    try {
      const tokens = await new ApiTokenRepository(dataSource).list();
      expect(tokens.map((t) => [t.role, t.name, t.revokedAt === null])).toEqual([
        ['agent', 'npm-start-agent', true],
        ['agent', 'npm-start-agent', false],
        ['admin', 'admin', true],
      ]);
    } finally {
      await dataSource.destroy();
    }
  });
});
