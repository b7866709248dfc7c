// A seed-sized generations.jsonl (50 steps × 1,024 rollouts, ~150 MB) imported end to end through
// the API: multipart upload → spooled to disk → read, validated and scored line by line (every
// completion re-scored with libs/calibration) → stored in one transaction (COPY into a staging
// table, INSERT … ON CONFLICT DO NOTHING, aggregates folded). Target: ≥ 50,000 rollouts/s.
// Also measured apart, in this process, to show where the time goes: the API's line parser and
// scorer alone, and the database writes alone (the same rows, already parsed).
import { existsSync, mkdirSync, openAsBlob, statSync } from 'node:fs';
import { join } from 'node:path';

import { createBenchDatabase, median, startBenchApi } from './bench-api.mjs';
import { makeGenerations, SEED_SHAPE } from './make-generations.mjs';

const RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 3);
const TARGET_ROLLOUTS_PER_SECOND = 50_000;
const root = new URL('../../', import.meta.url).pathname;

async function importOnce(apiUrl, file) {
  const form = new FormData();
  form.append('name', 'bench import');
  form.append('files', await openAsBlob(file), 'generations.jsonl');
  const started = performance.now();
  const response = await fetch(`${apiUrl}/v1/imports`, { method: 'POST', body: form });
  const body = await response.json();
  const seconds = (performance.now() - started) / 1000;
  if (response.status !== 201) throw new Error(`import answered ${response.status}: ${JSON.stringify(body)}`);
  return { seconds, serverSeconds: body.import.seconds, rollouts: body.import.rollouts, runId: body.id };
}

/** The API's own parser and scorer over the file, and the database writes of the parsed rows, apart. */
async function stages(file, databaseUrl, rollouts) {
  const { readLines } = await import(`${root}libs/results/dist/index.js`);
  const { SEED_LENGTH_PENALTY } = await import(`${root}libs/calibration/dist/index.js`);
  const { parseRolloutLine } = await import(`${root}apps/api/dist/rollouts/rollout-wire.parser.js`);
  const db = await import(`${root}libs/database/dist/index.js`);
  const context = { defaultAttempt: 0, penalty: SEED_LENGTH_PENALTY };

  let started = performance.now();
  const batches = [];
  let chunk = [];
  let index = 0;
  for await (const line of readLines(file)) {
    if (line.text.trim() === '') continue;
    const record = JSON.parse(line.text);
    record.step = Math.floor(index / SEED_SHAPE.batchSize);
    record.sample_key = String(index++);
    const parsed = parseRolloutLine(record, context);
    if (!parsed.ok) throw new Error(`line ${line.number}: ${JSON.stringify(parsed.errors)}`);
    chunk.push(parsed.row);
    if (chunk.length === 2048) {
      batches.push(db.prepareRolloutBatch(chunk));
      chunk = [];
    }
  }
  if (chunk.length > 0) batches.push(db.prepareRolloutBatch(chunk));
  const parseSeconds = (performance.now() - started) / 1000;

  const dataSource = await db.createDataSource(databaseUrl, { poolSize: 2 }).initialize();
  try {
    const { run } = await new db.RunRepository(dataSource).create({
      kind: 'import',
      name: 'bench stages',
      spec: {},
      specVersion: 1,
    });
    started = performance.now();
    const session = await new db.RolloutStreamIngestRepository(dataSource).open(run.id, `bench-${run.id}`);
    for (const batch of batches) await session.write(batch);
    const result = await session.commit();
    const databaseSeconds = (performance.now() - started) / 1000;
    if (result.inserted !== rollouts) throw new Error(`stored ${result.inserted} of ${rollouts}`);
    return { parseAndScoreSeconds: round(parseSeconds), databaseSeconds: round(databaseSeconds) };
  } finally {
    await dataSource.destroy();
  }
}

const round = (x) => Number(x.toFixed(3));

export async function benchImport(workDir) {
  mkdirSync(workDir, { recursive: true });
  const file = join(workDir, 'generations.jsonl');
  if (!existsSync(file)) await makeGenerations(file);
  const sizeMb = statSync(file).size / 2 ** 20;
  const database = await createBenchDatabase();
  let api;
  try {
    api = await startBenchApi(database.url);
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await importOnce(api.url, file));
    const rollouts = runs[0].rollouts;
    await api.stop();
    api = undefined;
    const apart = await stages(file, database.url, rollouts);
    const seconds = median(runs.map((r) => r.seconds));
    const serverSeconds = median(runs.map((r) => r.serverSeconds));
    const rolloutsPerSecond = Math.round(rollouts / seconds);
    return {
      name: 'import',
      input: { rollouts, sizeMb: Number(sizeMb.toFixed(1)) },
      seconds: round(seconds),
      rolloutsPerSecond,
      breakdown: {
        // Upload (multipart over loopback) and spooling to the temporary folder.
        uploadSeconds: round(seconds - serverSeconds),
        // Reading, validating, scoring and storing, overlapped (one chunk in flight while the next is parsed).
        importSeconds: round(serverSeconds),
        // The same two stages run apart, not overlapped.
        ...apart,
      },
      runs: runs.map(({ seconds: s, serverSeconds: ss }) => ({ seconds: round(s), serverSeconds: ss })),
      targets: {
        rolloutsPerSecond: TARGET_ROLLOUTS_PER_SECOND,
        met: rolloutsPerSecond >= TARGET_ROLLOUTS_PER_SECOND,
      },
    };
  } finally {
    await api?.stop();
    await database.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchImport(join(root, 'bench-results', 'work')), null, 2));
}
