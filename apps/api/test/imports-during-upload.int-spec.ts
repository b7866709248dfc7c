import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from './support/agent-api.js';
import { sql } from './support/rollout-api.js';
import { makeGenerations } from './support/make-generations.js';
import { startTestApi, type TestApi } from './support/test-api.js';

const BOUNDARY = 'brier-test-boundary';

interface ImportAnswer {
  id: string;
  name: string;
  status: string;
  import: { rollouts: number; steps: number; parsedDuringUpload: number; storedDuringUpload: number };
}

let api: TestApi;
let work: string;
let file: Buffer;
/** Large enough that rows are written before its second half is sent (a write takes 2,048 rows). */
let large: Buffer;

beforeAll(async () => {
  api = await startTestApi();
  work = mkdtempSync(join(tmpdir(), 'brier-during-upload-test-'));
  const path = join(work, 'generations.jsonl');
  await makeGenerations(path, { steps: 4, batchSize: 256, rolloutsPerExample: 8 }); // ~3 MB, 1,024 rows
  file = readFileSync(path);
  const largePath = join(work, 'large.jsonl');
  await makeGenerations(largePath, { steps: 24, batchSize: 256, rolloutsPerExample: 8 }); // ~18 MB
  large = readFileSync(largePath);
});
afterAll(async () => {
  await api?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const field = (name: string, value: string): Buffer =>
  Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
const fileHead = Buffer.from(
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="generations.jsonl"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n',
);
const fileTail = (after: Buffer[] = []): Buffer =>
  Buffer.concat([Buffer.from('\r\n'), ...after, Buffer.from(`--${BOUNDARY}--\r\n`)]);

/**
 * A multipart upload sent in two parts: `first`, then (once `between` has resolved) `second`, or
 * an abort of the request instead when `second` is 'abort'.
 */
async function uploadInTwo(
  first: Buffer,
  between: () => Promise<void>,
  second: Buffer | 'abort',
): Promise<{ status: number; body: ImportAnswer } | { aborted: true }> {
  const abort = new AbortController();
  let gate!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (controller) => void (gate = controller) });
  gate.enqueue(first);
  const answer = fetch(`${api.url}/v1/imports`, {
    method: 'POST',
    headers: { ...api.authHeaders, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body,
    duplex: 'half',
    signal: AbortSignal.any([abort.signal, AbortSignal.timeout(60_000)]),
  });
  try {
    await between();
  } catch (error) {
    abort.abort();
    throw error;
  }
  if (second === 'abort') {
    abort.abort();
    await answer.catch(() => undefined);
    return { aborted: true };
  }
  gate.enqueue(second);
  gate.close();
  const response = await answer;
  return { status: response.status, body: (await response.json()) as ImportAnswer };
}

async function importRuns(): Promise<{ id: string; status: string; name: string }[]> {
  return sql(api, `SELECT id, status, name FROM runs WHERE kind = 'import' ORDER BY created_at`);
}

/** The import run that is running (begun during its upload), once there is one. */
const runningImport = async (): Promise<{ id: string; status: string; name: string }> =>
  waitFor(async () => (await importRuns()).find((run) => run.status === 'running'), {
    what: 'an import run begun during its upload',
  });

describe('POST /v1/imports: rows stored while generations.jsonl uploads', () => {
  it('creates the run when the file starts, writes rows during the upload, commits at its end', async () => {
    const half = large.indexOf(0x0a, large.length >> 1) + 1;
    let during: { id: string; status: string; name: string } | undefined;
    const answer = await uploadInTwo(
      Buffer.concat([
        field('name', 'uploading'),
        field('batch_size', '256'),
        fileHead,
        large.subarray(0, half),
      ]),
      async () => {
        during = await runningImport();
        // The import's transaction has written into rollouts while half the file is still to come...
        await waitFor(
          async () =>
            (
              await sql(
                api,
                `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                 WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
                   AND l.relation = 'rollouts'::regclass AND l.mode = 'RowExclusiveLock'`,
              )
            ).length > 0 || undefined,
          { what: 'rows written into rollouts during the upload' },
        );
        // ...in its transaction: nothing is visible before the commit.
        const [rows] = await sql<{ n: string }>(api, 'SELECT count(*) AS n FROM rollouts WHERE run_id = $1', [
          during.id,
        ]);
        expect(rows!.n).toBe('0');
      },
      Buffer.concat([large.subarray(half), fileTail()]),
    );
    if (!('status' in answer)) throw new Error('the upload was aborted');
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body).toMatchObject({ id: during!.id, name: 'uploading', status: 'succeeded' });
    expect(answer.body.import).toMatchObject({ rollouts: 6144, steps: 24, parsedDuringUpload: large.length });
    expect(answer.body.import.storedDuringUpload).toBeGreaterThan(0);
    const [rows] = await sql<{ n: string }>(api, 'SELECT count(*) AS n FROM rollouts WHERE run_id = $1', [
      during!.id,
    ]);
    expect(rows!.n).toBe('6144');
    // Owned by the token that uploaded it (startTestApi's admin).
    const [owner] = await sql<{ created_by: string }>(api, 'SELECT created_by FROM runs WHERE id = $1', [
      during!.id,
    ]);
    expect(owner!.created_by).toBe('test-admin');
  });

  it('an upload cut off midway leaves no run and no rows, and the next import begins during its upload', async () => {
    const before = await importRuns();
    const runs = await sql<{ n: string }>(api, 'SELECT count(*) AS n FROM rollouts');
    let begun = '';
    const cut = await uploadInTwo(
      Buffer.concat([field('batch_size', '256'), fileHead, file.subarray(0, file.length >> 1)]),
      async () => void (begun = (await runningImport()).id),
      'abort',
    );
    expect(cut).toEqual({ aborted: true });
    await waitFor(async () => ((await importRuns()).some((run) => run.id === begun) ? undefined : true), {
      what: 'the cut-off import run to be removed',
    });
    expect(await importRuns()).toEqual(before);
    expect(await sql(api, 'SELECT count(*) AS n FROM rollouts')).toEqual(runs);

    // Its ingest slot was given back: the next import is begun during its upload again.
    const next = await uploadInTwo(
      Buffer.concat([field('batch_size', '256'), fileHead, file]),
      async () => void (await runningImport()),
      fileTail(),
    );
    if (!('status' in next)) throw new Error('the upload was aborted');
    expect(next.status, JSON.stringify(next.body)).toBe(201);
    expect(next.body.import.rollouts).toBe(1024);
  });

  it('fields after the file: a later name renames the run; a bad one answers 400 and leaves no run', async () => {
    const renamed = await uploadInTwo(
      Buffer.concat([field('batch_size', '256'), fileHead, file]),
      async () => void (await runningImport()),
      fileTail([field('name', 'named after the file')]),
    );
    if (!('status' in renamed)) throw new Error('the upload was aborted');
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(201);
    expect(renamed.body).toMatchObject({ name: 'named after the file', status: 'succeeded' });
    expect(renamed.body.import).toMatchObject({ rollouts: 1024, parsedDuringUpload: file.length });
    const [stored] = await sql<{ name: string }>(api, 'SELECT name FROM runs WHERE id = $1', [
      renamed.body.id,
    ]);
    expect(stored!.name).toBe('named after the file');

    const before = await importRuns();
    const bad = await uploadInTwo(
      Buffer.concat([field('batch_size', '256'), fileHead, file]),
      async () => void (await runningImport()),
      fileTail([field('max_steps', '-1')]),
    );
    if (!('status' in bad)) throw new Error('the upload was aborted');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('max_steps');
    expect(await importRuns()).toEqual(before);
  });
});
