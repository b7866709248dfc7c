import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { get } from './support/rollout-api.js';
import { startTestApi, type TestApi } from './support/test-api.js';

// scripts/start/*.mjs are plain JavaScript (they run before `npm ci`): describe what is used here.
interface SeedExample {
  SEED_EXAMPLE_NAME: string;
  seedExample: (
    apiUrl: string,
    options: { root: string; token: string; say: (text: string) => void },
  ) => Promise<string | null>;
}
const { SEED_EXAMPLE_NAME, seedExample } = (await import(
  new URL('../../../scripts/start/seed-example.mjs', import.meta.url).href
)) as SeedExample;

const ROOT = new URL('../../../', import.meta.url).pathname;

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

describe('scripts/start/seed-example.mjs (npm start on a fresh database)', () => {
  it("imports the seed's run when there is no run, and only then", async () => {
    const said: string[] = [];
    const say = (text: string) => said.push(text);
    const url = await seedExample(api.url, { root: ROOT, token: api.adminToken, say });
    expect(url, said.join('\n')).toMatch(new RegExp(`^${api.url}/v1/runs/[0-9a-f-]{36}$`));
    expect(said.at(-1)).toContain('51200 rollouts in 50 steps');
    const run = await get<{ name: string; status: string; kind: string; spec: { origin: string } }>(
      api,
      new URL(url!).pathname,
    );
    expect(run.body).toMatchObject({ name: SEED_EXAMPLE_NAME, status: 'succeeded', kind: 'import' });
    expect(run.body.spec.origin).toContain('SPAR-Self-Forecasting/gemma2-boolq-calibration');
    const metrics = await get<{ step: number }[]>(api, `${new URL(url!).pathname}/metrics`);
    expect(metrics.body).toHaveLength(50);

    expect(await seedExample(api.url, { root: ROOT, token: api.adminToken, say })).toBeNull();
    const runs = await get<{ items: unknown[] }>(api, '/v1/runs?limit=10');
    expect(runs.body.items).toHaveLength(1);
  });

  it('reports an unreachable API instead of throwing', async () => {
    const said: string[] = [];
    expect(
      await seedExample('http://127.0.0.1:1', {
        root: ROOT,
        token: api.adminToken,
        say: (t: string) => said.push(t),
      }),
    ).toBeNull();
    expect(said.join('\n')).toContain('could not import');
  });
});
