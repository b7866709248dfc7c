import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort, request, SEED_SUBMIT } from './support/runs-fixtures.js';
import { startTestApi, type TestApi } from './support/test-api.js';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
}

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

describe('OpenAPI', () => {
  it('serves the document at /docs/json with the runs routes and the CreateRunDto schema', async () => {
    const response = await request<OpenApiDocument>(`${api.url}/docs/json`, { headers: api.authHeaders });
    expect(response.status).toBe(200);
    const doc = response.body;
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /v1/runs',
        'GET /v1/runs',
        'GET /v1/runs/{id}',
        'DELETE /v1/runs/{id}',
        'POST /v1/runs/{id}/cancel',
        'POST /v1/runs/{id}/retry',
        'GET /v1/runs/{id}/attempts',
        'GET /v1/runs/{id}/events',
        'GET /v1/runs/{id}/checkpoints',
        'GET /v1/admin/queue',
      ]),
    );
    expect(Object.keys(doc.paths['/v1/runs']!['post']!.responses).sort()).toEqual(
      expect.arrayContaining(['200', '202', '400', '413', '415', '503']),
    );
    const create = doc.components.schemas['CreateRunDto']!;
    expect(Object.keys(create.properties ?? {})).toEqual(
      expect.arrayContaining(['kind', 'name', 'preset', 'resources', 'spec']),
    );
    expect(create.required).toEqual(expect.arrayContaining(['kind', 'name', 'resources', 'spec']));
    expect(doc.components.schemas).toHaveProperty('TrainSpecDto');
    expect(doc.components.schemas).toHaveProperty('RunDto');
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await fetch(`${api.url}/docs`, {
      headers: api.authHeaders,
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/swagger/i);
  });
});

describe('errors', () => {
  it('answers an unknown route with the API error shape', async () => {
    const response = await request(`${api.url}/v1/nothing-here`, { headers: api.authHeaders });
    expect(response).toMatchObject({ status: 404, body: { statusCode: 404, error: 'Not Found' } });
  });

  it('takes gzip-encoded JSON, and refuses other charsets and encodings with 415', async () => {
    const gzipped = await fetch(`${api.url}/v1/runs`, {
      method: 'POST',
      headers: {
        ...api.authHeaders,
        'content-type': 'application/json; charset=utf-8',
        'content-encoding': 'gzip',
      },
      body: gzipSync(JSON.stringify(SEED_SUBMIT)),
      signal: AbortSignal.timeout(10_000),
    });
    expect(gzipped.status).toBe(202);
    const latin1 = await request(`${api.url}/v1/runs`, {
      method: 'POST',
      headers: { ...api.authHeaders, 'content-type': 'application/json; charset=latin1' },
      body: JSON.stringify(SEED_SUBMIT),
    });
    expect(latin1.status).toBe(415);
    const brotli = await request(`${api.url}/v1/runs`, {
      method: 'POST',
      headers: { ...api.authHeaders, 'content-type': 'application/json', 'content-encoding': 'br' },
      body: 'x',
    });
    expect(brotli.status).toBe(415);
  });

  it('gives the ingestion routes a larger JSON limit and lets other content types through to them', async () => {
    const big = JSON.stringify({ rows: 'x'.repeat(2 * 1024 * 1024) });
    const rollouts = await request(`${api.url}/v1/runs/${randomUUID()}/rollouts`, {
      method: 'POST',
      headers: { ...api.authHeaders, 'content-type': 'application/json' },
      body: big,
    });
    expect(rollouts.status).not.toBe(413);
    const ndjson = await request(`${api.url}/v1/runs/${randomUUID()}/rollouts`, {
      method: 'POST',
      headers: { ...api.authHeaders, 'content-type': 'application/x-ndjson' },
      body: '{}\n',
    });
    expect(ndjson.status).not.toBe(415);
  });
});

describe('Postgres unavailable', () => {
  it('answers 503 with Retry-After and no stack, quickly', async () => {
    const down = await startTestApi({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/brier`,
    });
    try {
      for (const [method, path] of [
        ['POST', '/v1/runs'],
        ['GET', '/v1/runs'],
        ['GET', `/v1/runs/${randomUUID()}`],
      ] as const) {
        const response = await request<{ message: string }>(`${down.url}${path}`, {
          headers: down.authHeaders,
          method,
          ...(method === 'POST' ? { json: SEED_SUBMIT } : {}),
        });
        expect(response.status, path).toBe(503);
        expect(response.headers.get('retry-after')).toBe('5');
        expect(response.body).toEqual({
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'the database (Postgres) is unavailable; try again shortly',
        });
        expect(response.ms).toBeLessThan(2_000);
      }
    } finally {
      await down.close();
    }
  });
});
