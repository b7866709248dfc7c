import { createHash, randomUUID } from 'node:crypto';

import { DataSource as DataSourceToken } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRun, makeCheapRows, ndjson, postRollouts, toWire } from './support/rollout-api.js';
import { startTestApi, type TestApi } from './support/test-api.js';
import { mintToken, type TestToken } from './support/test-tokens.js';

// Per-token rate limits (Redis-backed), CORS and secure headers, against real Postgres and Redis.

const ALLOWED_ORIGIN = 'https://panel.example.org';
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({
    RATE_LIMIT_SUBMIT_PER_MINUTE: '2',
    RATE_LIMIT_INGEST_PER_MINUTE: '2',
    CORS_ORIGINS: ALLOWED_ORIGIN,
    REAPER_INTERVAL_MS: '0',
  });
});
afterAll(() => api?.close());

function submit(token: TestToken): Promise<Response> {
  return fetch(`${api.url}/v1/runs`, {
    method: 'POST',
    headers: { ...token.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ preset: 'smoke-tiny', name: 'limited' }),
    signal: AbortSignal.timeout(10_000),
  });
}

describe('rate limits per token', () => {
  it('submit: 429 with Retry-After past the limit; another token is unaffected', async () => {
    const alice = await mintToken(api.app, 'researcher', 'alice');
    const bob = await mintToken(api.app, 'researcher', 'bob');
    expect((await submit(alice)).status).toBe(202);
    expect((await submit(alice)).status).toBe(202);
    const limited = await submit(alice);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await limited.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect((await submit(bob)).status).toBe(202);
  });

  it('ingest: counted per token, in Redis (a second API on the same prefix shares the count)', async () => {
    const admin = await mintToken(api.app, 'admin', 'ingester');
    const other = await mintToken(api.app, 'admin', 'other-ingester');
    const run = (await createRun(api)).id;
    const body = ndjson(makeCheapRows([0], 4).map((row) => toWire(row, { attempt: false })));
    const ingest = (auth: Record<string, string>) =>
      postRollouts(api, run, body, { auth, batchId: `b-${randomUUID()}` });
    expect((await ingest(admin.headers)).status).toBe(200);

    const second = await startTestApi(
      { RATE_LIMIT_INGEST_PER_MINUTE: '2', BRIER_QUEUE_PREFIX: api.queuePrefix, REAPER_INTERVAL_MS: '0' },
      api.db,
    );
    try {
      const viaSecond = await postRollouts(second, run, body, {
        auth: admin.headers,
        batchId: `b-${randomUUID()}`,
      });
      expect(viaSecond.status).toBe(200);
      expect((await ingest(admin.headers)).status).toBe(429);
    } finally {
      await second.close();
    }
    expect((await ingest(other.headers)).status).toBe(200);
  });
});

describe('CORS and secure headers', () => {
  it('gives no Access-Control-Allow-Origin to a foreign origin; the configured one gets it', async () => {
    const foreign = await fetch(`${api.url}/v1/runs`, {
      headers: { ...api.authHeaders, origin: 'https://evil.example' },
    });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${api.url}/v1/runs`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();

    const allowed = await fetch(`${api.url}/v1/runs`, {
      headers: { ...api.authHeaders, origin: ALLOWED_ORIGIN },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
  });

  it('is closed by default: no CORS headers at all without CORS_ORIGINS', async () => {
    const closed = await startTestApi({ REAPER_INTERVAL_MS: '0' });
    try {
      const answer = await fetch(`${closed.url}/v1/runs`, {
        headers: { ...closed.authHeaders, origin: ALLOWED_ORIGIN },
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await closed.close();
    }
  });

  it('sends the secure headers on the API, the panel and the docs', async () => {
    for (const path of ['/health', '/v1/runs', '/admin/', '/docs']) {
      const answer = await fetch(`${api.url}${path}`, { headers: api.authHeaders });
      const csp = answer.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('upgrade-insecure-requests');
      expect(answer.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(answer.headers.get('x-frame-options'), path).toBe('DENY');
      expect(answer.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(answer.headers.get('x-powered-by'), path).toBeNull();
    }
  });

  it('the session cookie is HttpOnly and SameSite=Strict, and works like the bearer token', async () => {
    const viewer = await mintToken(api.app, 'viewer', 'vera');
    const login = await fetch(`${api.url}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: viewer.token }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^brier_session=brier_[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    const session = cookie.split(';')[0]!;
    const runs = await fetch(`${api.url}/v1/runs`, { headers: { cookie: session } });
    expect(runs.status).toBe(200);
    const submitted = await fetch(`${api.url}/v1/runs`, {
      method: 'POST',
      headers: { cookie: session, 'content-type': 'application/json' },
      body: JSON.stringify({ preset: 'smoke-tiny' }),
    });
    expect(submitted.status).toBe(403);
    const logout = await fetch(`${api.url}/v1/session`, { method: 'DELETE', headers: { cookie: session } });
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toContain('brier_session=; Path=/; Max-Age=0');

    const agentLogin = await fetch(`${api.url}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: api.agentToken }),
    });
    expect(agentLogin.status).toBe(403);
  });
});

describe('tokens through the API', () => {
  it('shows a new token once and stores only its SHA-256', async () => {
    const created = await fetch(`${api.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...api.authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'carol', role: 'researcher' }),
    });
    expect(created.status).toBe(201);
    const { token, id } = (await created.json()) as { token: string; id: string };
    expect(token).toMatch(/^brier_[A-Za-z0-9_-]{43}$/);

    const listed = await (await fetch(`${api.url}/v1/tokens`, { headers: api.authHeaders })).text();
    expect(listed).toContain(id);
    expect(listed).not.toContain(token);
    const [row] = await api.app
      .get(DataSourceToken)
      .query<{ row: unknown; token_hash: string }[]>(
        `SELECT to_jsonb(t) AS row, token_hash FROM api_tokens t WHERE id = $1`,
        [id],
      );
    expect(JSON.stringify(row)).not.toContain(token.slice('brier_'.length));
    expect(row!.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
  });
});
