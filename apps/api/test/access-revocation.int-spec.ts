import { ApiTokenRepository } from '@brier/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from './support/runs-fixtures.js';
import { startTestApi, type TestApi } from './support/test-api.js';
import { mintToken, type TestToken } from './support/test-tokens.js';

// A revoked token stops working on every API replica at once, not after the token cache's TTL:
// two replicas on one database, with a cache (60 s) far longer than the waits below.

const LONG_CACHE = { AUTH_CACHE_TTL_MS: '60000', REAPER_INTERVAL_MS: '0' };
let first: TestApi;
let second: TestApi;

beforeAll(async () => {
  first = await startTestApi(LONG_CACHE);
  second = await startTestApi({ ...LONG_CACHE, BRIER_QUEUE_PREFIX: first.queuePrefix }, first.db);
});
afterAll(async () => {
  await second?.close();
  await first?.close();
});

async function status(api: TestApi, token: TestToken): Promise<number> {
  const answer = await fetch(`${api.url}/v1/runs?limit=1`, {
    headers: token.headers,
    signal: AbortSignal.timeout(10_000),
  });
  return answer.status;
}

/** Both replicas answer 200, so each holds the token in its cache. */
async function cachedOnBoth(token: TestToken): Promise<void> {
  expect([await status(first, token), await status(second, token)]).toEqual([200, 200]);
}

function refusedBy(api: TestApi, token: TestToken): Promise<true> {
  return waitFor(async () => (await status(api, token)) === 401 || undefined, {
    timeoutMs: 5_000,
    intervalMs: 50,
    what: `${api.url} to refuse the revoked token`,
  });
}

describe('token revocation across replicas', () => {
  it('revoked through one replica: refused by both, well inside the cache TTL', async () => {
    const token = await mintToken(first.app, 'researcher', 'leaving-researcher');
    await cachedOnBoth(token);
    const revoked = await fetch(`${first.url}/v1/tokens/${token.id}`, {
      method: 'DELETE',
      headers: first.authHeaders,
      signal: AbortSignal.timeout(10_000),
    });
    expect(revoked.status).toBe(200);
    expect(await status(first, token)).toBe(401);
    await refusedBy(second, token);
  });

  it('revoked by the CLI (straight in the database): refused by both', async () => {
    const token = await mintToken(first.app, 'viewer', 'leaving-viewer');
    await cachedOnBoth(token);
    // What `brier tokens revoke` does: the repository, no API involved.
    expect(await first.app.get(ApiTokenRepository).revoke(token.id)).toMatchObject({ id: token.id });
    await refusedBy(first, token);
    await refusedBy(second, token);
  });

  it('revoking a token twice keeps its first revocation', async () => {
    const token = await mintToken(first.app, 'viewer', 'revoked-twice');
    const repository = first.app.get(ApiTokenRepository);
    const once = await repository.revoke(token.id);
    const twice = await repository.revoke(token.id);
    expect(twice?.revokedAt).toEqual(once?.revokedAt);
    expect(await status(second, token)).toBe(401);
  });
});
