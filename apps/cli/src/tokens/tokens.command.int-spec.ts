import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sql } from '../../../api/test/support/runs-fixtures.js';
import { startTestApi, type TestApi } from '../../../api/test/support/test-api.js';
import { bufferedIo } from '../../test/buffered-io.js';
import { runCli } from '../program.js';

let api: TestApi;

beforeAll(async () => {
  // No token cache: a revocation shows at once.
  api = await startTestApi({ AUTH_CACHE_TTL_MS: '0' });
});
afterAll(async () => {
  await api?.close();
});

async function brier(...args: string[]) {
  const io = bufferedIo();
  const code = await runCli(['tokens', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

async function whoAmI(token: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${api.url}/v1/session`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

describe('brier tokens (straight in Postgres at DATABASE_URL)', () => {
  it('creates a working token, shown once and stored hashed; lists and revokes it', async () => {
    process.env['DATABASE_URL'] = api.db.url;
    try {
      const created = await brier('create', '--role', 'admin', '--name', 'alice');
      expect(created.code).toBe(0);
      const token = created.out.trim();
      expect(token).toMatch(/^brier_[A-Za-z0-9_-]{43}$/);
      expect(created.err).toContain('shown only now');
      expect(await whoAmI(token)).toEqual({ status: 200, body: { name: 'alice', role: 'admin' } });

      // Only the SHA-256 is stored: the token appears nowhere in the table.
      const rows = await sql<Record<string, unknown>>(api.db.url, 'SELECT * FROM api_tokens');
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(JSON.stringify(rows)).not.toContain(token.slice('brier_'.length));

      const listed = await brier('list');
      expect(listed.code).toBe(0);
      const line = listed.out.split('\n').find((l) => l.includes('\talice\t'));
      expect(line).toMatch(/^[0-9a-f-]{36}\tadmin\talice\t-\t/);
      expect(listed.out).not.toContain(token);
      const id = line!.split('\t')[0]!;

      const revoked = await brier('revoke', id);
      expect(revoked.code).toBe(0);
      expect((await whoAmI(token)).status).toBe(401);
      expect((await brier('list')).out).not.toContain('\talice\t');
      expect((await brier('list', '--all')).out).toMatch(/\talice\t.*\trevoked /);
    } finally {
      delete process.env['DATABASE_URL'];
    }
  });

  it('refuses bad roles, names and ids (exit 2)', async () => {
    process.env['DATABASE_URL'] = api.db.url;
    try {
      expect((await brier('create', '--role', 'root', '--name', 'x')).code).toBe(2);
      expect((await brier('create', '--role', 'admin', '--name', 'a b; rm -rf /')).code).toBe(2);
      expect((await brier('create', '--role', 'viewer', '--name', 'v', '--agent-name', 'gpu-1')).code).toBe(
        2,
      );
      expect((await brier('revoke', 'not-an-id')).code).toBe(2);
    } finally {
      delete process.env['DATABASE_URL'];
    }
  });
});
