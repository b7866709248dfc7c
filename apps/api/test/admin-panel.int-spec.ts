import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { QUEUES } from '@brier/contracts';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN_UI_DIST } from '../src/admin/admin-ui-files.js';
import { startTestApi, type TestApi } from './support/test-api.js';

interface BoardQueue {
  name: string;
  readOnlyMode: boolean;
  counts: Record<string, number>;
  jobs: { id: string; name: string; data: unknown }[];
}

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ REAPER_INTERVAL_MS: '0' });
});
afterAll(() => api?.close());

describe('/admin/queues (bull-board)', () => {
  it('serves the board page and its assets under /admin/queues', async () => {
    const page = await fetch(`${api.url}/admin/queues`, { headers: api.authHeaders });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<base href="/admin/queues/" />');
    expect(html).toContain('<title>Brier queues</title>');
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${api.url}/admin/queues/${script!}`, { headers: api.authHeaders });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
  });

  it("lists the API's own runs queue, read-only, with the job of a submitted run", async () => {
    const submitted = await fetch(`${api.url}/v1/runs`, {
      method: 'POST',
      headers: { ...api.authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'train', preset: 'smoke-tiny', name: 'board-run' }),
    });
    expect(submitted.status).toBe(202);
    const run = (await submitted.json()) as { id: string };

    const answer = await fetch(
      `${api.url}/admin/queues/api/queues?activeQueue=${QUEUES.runs}&status=waiting`,
      { headers: api.authHeaders },
    );
    expect(answer.status).toBe(200);
    const { queues } = (await answer.json()) as { queues: BoardQueue[] };
    expect(queues.map((queue) => queue.name)).toEqual([QUEUES.runs]);
    const [queue] = queues;
    expect(queue!.readOnlyMode).toBe(true);
    expect(queue!.counts['waiting']).toBe(1);
    expect(queue!.jobs.map((job) => job.data)).toEqual([expect.objectContaining({ runId: run.id })]);
  });

  it('refuses to act on jobs (read-only)', async () => {
    const answer = await fetch(`${api.url}/admin/queues/api/queues/${QUEUES.runs}/pause`, {
      headers: api.authHeaders,
      method: 'PUT',
    });
    expect(answer.status).toBe(405);
    expect(await api.app.get<Queue>(getQueueToken(QUEUES.runs)).isPaused()).toBe(false);
  });
});

describe('/admin (the built UI)', () => {
  const built = existsSync(join(ADMIN_UI_DIST, 'index.html'));

  it.runIf(built)('serves index.html, not cached, for the base and for client-side routes', async () => {
    for (const path of ['/admin', '/admin/', '/admin/runs/5b2f7c1e-2a43-4c8e-9d0e-7f3a2b1c0d9e']) {
      const page = await fetch(`${api.url}${path}`, { headers: api.authHeaders });
      expect(page.status, path).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-cache');
    }
    expect(
      (await fetch(`${api.url}/admin/assets/missing-ABCDEFGH.js`, { headers: api.authHeaders })).status,
    ).toBe(404);
  });

  it.runIf(!built)('answers 503 saying how to build it', async () => {
    const page = await fetch(`${api.url}/admin/runs`, { headers: api.authHeaders });
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('npm run build');
  });
});
