import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openLive } from '../../api/test/support/live-sse.js';
import { request } from '../../api/test/support/runs-fixtures.js';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';
import { API_ROUTES, routeUrl, type ApiRoute } from '../src/api/routes.js';
import { LOG_LINE } from '../src/api/shapes.js';
import {
  checkSchema,
  checkValue,
  producedTypes,
  successSchema,
  type OpenApiDocument,
  type Schema,
} from './support/openapi-shapes.js';
import { ingestProbeStep, submitProbeRun } from './support/probe-run.js';

// The admin panel's typed client against the real API: every route it calls exists in the OpenAPI
// document (/docs/json) with every field the panel reads (src/api/shapes.ts), and real answers
// (which settle the parts the document leaves open) have them too.

type RouteName = keyof typeof API_ROUTES;

let api: TestApi;
let doc: OpenApiDocument;
let runId: string;
/** Real answers of the JSON routes, by route name. */
const answers = new Map<RouteName, unknown>();

async function getJson(path: string): Promise<unknown> {
  const answer = await request(`${api.url}${path}`, { headers: api.authHeaders });
  if (answer.status !== 200)
    throw new Error(`GET ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

beforeAll(async () => {
  api = await startTestApi();
  doc = (await getJson('/docs/json')) as OpenApiDocument;
  runId = await submitProbeRun(api, 'openapi probe');
  await ingestProbeStep(api, runId, 0);
  await ingestProbeStep(api, runId, 1);

  const id = { id: runId };
  const get = (name: RouteName, params = {}, query = {}) =>
    getJson(routeUrl(API_ROUTES[name], params, query)).then((body) => answers.set(name, body));
  await Promise.all([
    get('listRuns'),
    get('getRun', id),
    get('runAttempts', id),
    get('runEvents', id),
    get('runCheckpoints', id),
    get('stepMetrics', id),
    get('reliability', id, { group: 5 }),
    get('samples', id, { step: 0, n: 3, filter: 'random', seed: '0' }),
    get('compare', {}, { runs: [runId], metric: 'ece' }),
    get('agents'),
    get('queueSummary'),
    get('presets'),
  ]);
  const other = await submitProbeRun(api, 'openapi cancel probe');
  answers.set('submitRun', (await request(`${api.url}/v1/runs/${other}`, { headers: api.authHeaders })).body);
  const cancelled = await request(`${api.url}${routeUrl(API_ROUTES.cancelRun, { id: other })}`, {
    headers: api.authHeaders,
    method: 'POST',
  });
  expect(cancelled.status).toBe(200);
  answers.set('cancelRun', cancelled.body);
  const retried = await request(`${api.url}${routeUrl(API_ROUTES.retryRun, { id: other })}`, {
    headers: api.authHeaders,
    method: 'POST',
  });
  expect(retried.status).toBe(202);
  answers.set('retryRun', retried.body);
});
afterAll(async () => {
  await api?.close();
});

const routes = Object.entries(API_ROUTES) as [RouteName, ApiRoute][];

describe('the admin panel client against the OpenAPI document', () => {
  it.each(routes)('%s: the path and method exist', (_, route) => {
    expect(
      doc.paths[route.path]?.[route.method.toLowerCase()],
      `${route.method} ${route.path}`,
    ).toBeDefined();
  });

  it.each(routes.filter(([, r]) => r.kind === 'json'))(
    '%s: the answer has every field the panel reads (document, then a real answer)',
    (name, route) => {
      if (route.kind !== 'json') return;
      const schema = successSchema(doc, route.path, route.method);
      expect(schema, `${route.method} ${route.path} documents no JSON answer`).toBeDefined();
      const fromDocument = checkSchema(doc, schema!, route.response);
      expect(fromDocument.problems).toEqual([]);
      expect(answers.has(name), `no real answer of ${name} was read`).toBe(true);
      expect(checkValue(answers.get(name), route.response)).toEqual([]);
    },
  );

  it('the streams are documented as text/event-stream, and log lines as the logs page items', () => {
    for (const [, route] of routes.filter(([, r]) => r.kind === 'stream')) {
      expect(producedTypes(doc, route.path, 'GET'), route.path).toContain('text/event-stream');
    }
    const page = successSchema(doc, '/v1/runs/{id}/logs', 'GET') as Schema;
    const items = checkSchema(doc, page, {
      kind: 'object',
      fields: { items: { kind: 'array', items: LOG_LINE } },
    });
    expect(items.problems).toEqual([]);
  });

  it("a run's live stream sends the run, then steps rows shaped like the metrics", async () => {
    const live = await openLive(`${api.url}${routeUrl(API_ROUTES.runLive, { id: runId })}`, api.authHeaders);
    try {
      expect(live.status).toBe(200);
      const run = await live.next('run');
      expect(checkValue(run, API_ROUTES.runLive.events.run)).toEqual([]);
      await ingestProbeStep(api, runId, 2);
      const steps = await live.next<{ step: number }[]>('steps', (rows) =>
        rows.some((row) => row.step === 2),
      );
      expect(checkValue(steps, API_ROUTES.runLive.events.steps)).toEqual([]);
    } finally {
      live.close();
    }
  });

  it('the runs stream sends a changed run shaped like the list items', async () => {
    const live = await openLive(`${api.url}${routeUrl(API_ROUTES.runsLive)}`, api.authHeaders);
    try {
      expect(live.status).toBe(200);
      const id = await submitProbeRun(api, 'openapi live probe');
      const run = await live.next<{ id: string }>('run', (r) => r.id === id);
      expect(checkValue(run, API_ROUTES.runsLive.events.run)).toEqual([]);
    } finally {
      live.close();
    }
  });

  it("a run's log stream answers as a stream", async () => {
    const live = await openLive(
      `${api.url}${routeUrl(API_ROUTES.logStream, { id: runId })}`,
      api.authHeaders,
    );
    live.close();
    expect(live.status).toBe(200);
    expect(live.contentType).toContain('text/event-stream');
  });

  it('the download links answer with their formats', async () => {
    const csv = await fetch(`${api.url}${routeUrl(API_ROUTES.metricsCsv, { id: runId })}`, {
      headers: api.authHeaders,
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect((await csv.text()).split('\r\n')[0]).toContain('reward');
    const jsonl = await fetch(
      `${api.url}${routeUrl(API_ROUTES.rolloutsExport, { id: runId }, { format: 'jsonl' })}`,
      { headers: api.authHeaders },
    );
    expect(jsonl.status).toBe(200);
    expect((await jsonl.text()).trim().split('\n')).toHaveLength(24);
  });
});
