import { mkdtempSync, openAsBlob, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sql } from './support/rollout-api.js';
import { makeGenerations } from './support/make-generations.js';
import { startTestApi, type TestApi } from './support/test-api.js';

interface ImportAnswer {
  id: string;
  spec: Record<string, unknown>;
  import: { rollouts: number; steps: number; parsedDuringUpload: number };
}

let api: TestApi;
let work: string;
let file: string;
let size: number;

beforeAll(async () => {
  api = await startTestApi();
  work = mkdtempSync(join(tmpdir(), 'brier-prefetch-test-'));
  file = join(work, 'generations.jsonl');
  await makeGenerations(file, { steps: 4, batchSize: 256, rolloutsPerExample: 8 }); // ~3 MB, 1,024 rows
  size = statSync(file).size;
});
afterAll(async () => {
  await api?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** POST /v1/imports with the form's parts in the order given (fields and the file). */
async function postParts(
  target: TestApi,
  parts: ({ field: string; value: string } | { file: string })[],
): Promise<{ status: number; body: ImportAnswer }> {
  const form = new FormData();
  for (const part of parts) {
    if ('field' in part) form.append(part.field, part.value);
    else form.append('files', await openAsBlob(part.file), 'generations.jsonl');
  }
  const response = await fetch(`${target.url}/v1/imports`, {
    headers: target.authHeaders,
    method: 'POST',
    body: form,
    signal: AbortSignal.timeout(60_000),
  });
  return { status: response.status, body: (await response.json()) as ImportAnswer };
}

/** A second API on the same database, with RolloutLimitsConfig's variables (read from process.env). */
async function apiWith(env: Record<string, string>): Promise<TestApi> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await startTestApi({}, api.db);
  } finally {
    process.env = saved;
  }
}

/** A run's stored rows and aggregates, without what differs between runs (ids, times). */
async function contents(runId: string): Promise<unknown[]> {
  return [
    ...(await sql(
      api,
      `SELECT step, attempt, sample_key, md5(completion) AS completion, prompt_id, label, p_yes, brier,
         reward_trainer, reward_brier, parseable, length_penalty, approx_tokens, completion_chars
       FROM rollouts WHERE run_id = $1 ORDER BY step, attempt, sample_key`,
      [runId],
    )),
    ...(await sql(
      api,
      // Sums of floats to 1e-9: chunks cut elsewhere add the same rows in another order.
      `SELECT step, attempt, n, n_parseable, round(sum_brier::numeric, 9) AS sum_brier, bin_n, top_bin_n,
         n_correct
       FROM step_aggregates WHERE run_id = $1 ORDER BY step`,
      [runId],
    )),
  ];
}

describe('POST /v1/imports: generations.jsonl parsed while it uploads', () => {
  it('stores exactly what an import parsing it after the upload stores', async () => {
    const ahead = await postParts(api, [{ field: 'batch_size', value: '256' }, { file }]);
    expect(ahead.status, JSON.stringify(ahead.body)).toBe(201);
    expect(ahead.body.import).toMatchObject({ rollouts: 1024, steps: 4, parsedDuringUpload: size });

    const after = await apiWith({ IMPORT_PREFETCH_BYTES: '0' });
    try {
      const spooled = await postParts(after, [{ field: 'batch_size', value: '256' }, { file }]);
      expect(spooled.body.import).toMatchObject({ rollouts: 1024, steps: 4, parsedDuringUpload: 0 });
      expect(await contents(spooled.body.id)).toEqual(await contents(ahead.body.id));
    } finally {
      await after.close();
    }
  });

  it('past its budget, parses the rest from the spooled file, continuing its lines and positions', async () => {
    const small = await apiWith({ IMPORT_PREFETCH_BYTES: '1' });
    try {
      const whole = await postParts(api, [{ field: 'batch_size', value: '256' }, { file }]);
      const part = await postParts(small, [{ field: 'batch_size', value: '256' }, { file }]);
      expect(part.status, JSON.stringify(part.body)).toBe(201);
      expect(part.body.import.parsedDuringUpload).toBeGreaterThan(0);
      expect(part.body.import.parsedDuringUpload).toBeLessThan(size);
      expect(await contents(part.body.id)).toEqual(await contents(whole.body.id));
    } finally {
      await small.close();
    }
  });

  it('a field sent after the file: what was parsed ahead is dropped, and the later field applies', async () => {
    const res = await postParts(api, [{ file }, { field: 'batch_size', value: '128' }]);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.spec).toMatchObject({ batchSize: 128 });
    expect(res.body.import).toMatchObject({ rollouts: 1024, steps: 8, parsedDuringUpload: 0 });

    const bad = await postParts(api, [{ file }, { field: 'batch_size', value: '0' }]);
    expect(bad.status).toBe(400);
  });
});
