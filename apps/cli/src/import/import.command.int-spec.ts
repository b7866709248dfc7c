import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApi, type TestApi } from '../../../api/test/support/test-api.js';
import { bufferedIo } from '../../test/buffered-io.js';
import { runCli } from '../program.js';

const SEED_DIR = new URL('../../../../examples/seed-run', import.meta.url).pathname;

let api: TestApi;
let work: string;

beforeAll(async () => {
  api = await startTestApi();
  process.env['BRIER_API_TOKEN'] = api.adminToken;
  work = mkdtempSync(join(tmpdir(), 'brier-cli-import-'));
});
afterAll(async () => {
  delete process.env['BRIER_API_TOKEN'];
  await api?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function brier(...args: string[]) {
  const io = bufferedIo();
  const code = await runCli(['import', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('brier import (against a real API)', () => {
  it('imports the seed directory: prints the run id, and a summary on stderr', async () => {
    const { code, out, err } = await brier(SEED_DIR, '--api', api.url);
    expect(code, err).toBe(0);
    const id = out.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(err).toContain('uploading calibration_metrics.csv, orchestrator.stdout');
    expect(err).toMatch(
      /run [0-9a-f-]{36} "seed-run" succeeded: 51200 rollouts in 50 steps from calibration_metrics\.csv, 50 orchestrator steps/,
    );
    const metrics = (await (
      await fetch(`${api.url}/v1/runs/${id}/metrics`, { headers: api.authHeaders })
    ).json()) as { step: number }[];
    expect(metrics).toHaveLength(50);
  });

  it('takes files, --name, --batch-size and --max-steps', async () => {
    const { code, out, err } = await brier(
      join(SEED_DIR, 'orchestrator.stdout'),
      join(SEED_DIR, 'calibration_metrics.csv'),
      '--api',
      api.url,
      '--name',
      'first ten',
      '--max-steps',
      '10',
      '--batch-size',
      '1024',
    );
    expect(code, err).toBe(0);
    expect(err).toContain('"first ten" succeeded: 10240 rollouts in 10 steps');
    const run = (await (
      await fetch(`${api.url}/v1/runs/${out.trim()}`, { headers: api.authHeaders })
    ).json()) as { spec: unknown };
    expect(run.spec).toMatchObject({ maxSteps: 10, batchSize: 1024 });
  });

  it('exit 2 for missing paths, sets without result files and bad options', async () => {
    expect((await brier(join(work, 'nope'), '--api', api.url)).code).toBe(2);
    writeFileSync(join(work, 'notes.txt'), 'x');
    const none = await brier(work, '--api', api.url);
    expect(none.code).toBe(2);
    expect(none.err).toContain('is a prime-rl result');
    expect((await brier(SEED_DIR, '--api', 'ftp://x')).code).toBe(2);
    expect((await brier(SEED_DIR, '--batch-size', '0', '--api', api.url)).code).toBe(2);
    expect((await brier('--api', api.url)).code).toBe(2);
  });

  it('exit 1 with the API message when it refuses, and when it is not reachable', async () => {
    const bad = join(work, 'bad');
    rmSync(bad, { recursive: true, force: true });
    mkdirSync(bad);
    writeFileSync(
      join(bad, 'calibration_metrics.csv'),
      'index,step,reward,brier_score,p_yes,ground_truth,parseable\n0,0,x,0.1,0.5,True,1\n',
    );
    const refused = await brier(bad, '--api', api.url);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('the API answered 400');
    expect(refused.err).toContain('lines[2]');
    expect(refused.err).toMatch(/run [0-9a-f-]{36} is marked failed/);

    const port = await closedPort();
    const down = await brier(SEED_DIR, '--api', `http://127.0.0.1:${port}`);
    expect(down.code).toBe(1);
    expect(down.err).toContain(`cannot reach the Brier API at http://127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('needs a token: exit 2 without BRIER_API_TOKEN, 1 with the 401 of a wrong one', async () => {
    const token = process.env['BRIER_API_TOKEN'];
    try {
      delete process.env['BRIER_API_TOKEN'];
      const missing = await brier(SEED_DIR, '--api', api.url);
      expect(missing.code).toBe(2);
      expect(missing.err).toContain('set BRIER_API_TOKEN');
      process.env['BRIER_API_TOKEN'] = 'brier_not-a-real-token';
      const wrong = await brier(SEED_DIR, '--api', api.url);
      expect(wrong.code).toBe(1);
      expect(wrong.err).toContain('the API answered 401');
    } finally {
      process.env['BRIER_API_TOKEN'] = token;
    }
  });
});
