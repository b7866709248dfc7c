import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApi, type TestApi } from './support/test-api.js';

const PRESETS_DIR = join(import.meta.dirname, '../../../configs/presets');

/** The preset files as written, by name. */
const onDisk = readdirSync(PRESETS_DIR)
  .filter((file) => file.endsWith('.json'))
  .map((file) => JSON.parse(readFileSync(join(PRESETS_DIR, file), 'utf8')) as { name: string })
  .sort((a, b) => a.name.localeCompare(b.name));

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ REAPER_INTERVAL_MS: '0' });
});
afterAll(() => api?.close());

describe('GET /v1/presets', () => {
  it('lists every preset of configs/presets as written (name, description, kind, resources, spec)', async () => {
    const answer = await fetch(`${api.url}/v1/presets`, { headers: api.authHeaders });
    expect(answer.status).toBe(200);
    const presets = (await answer.json()) as { name: string }[];
    expect(onDisk.length).toBeGreaterThanOrEqual(2);
    expect([...presets].sort((a, b) => a.name.localeCompare(b.name))).toEqual(onDisk);
    expect(presets.map((p) => p.name)).toContain('smoke-tiny');
  });

  it('answers one by name, and 404 naming the available ones for an unknown name', async () => {
    const one = await fetch(`${api.url}/v1/presets/smoke-tiny`, { headers: api.authHeaders });
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual(onDisk.find((p) => p.name === 'smoke-tiny'));

    const missing = await fetch(`${api.url}/v1/presets/no-such-preset`, { headers: api.authHeaders });
    expect(missing.status).toBe(404);
    const body = (await missing.json()) as { message: string; available: string[] };
    expect(body.message).toContain("preset 'no-such-preset' does not exist");
    expect(body.available).toEqual(onDisk.map((p) => p.name));
  });

  it('is in the OpenAPI document, with the live streams as text/event-stream', async () => {
    const document = (await (await fetch(`${api.url}/docs/json`, { headers: api.authHeaders })).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>>;
    };
    expect(document.paths['/v1/presets']?.['get']).toBeDefined();
    for (const path of ['/v1/runs/live', '/v1/runs/{id}/live']) {
      expect(Object.keys(document.paths[path]?.['get']?.responses['200']?.content ?? {}), path).toEqual([
        'text/event-stream',
      ]);
    }
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/admin'))).toEqual([]);
  });
});
