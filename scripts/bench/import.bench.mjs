// A seed-sized generations.jsonl (50 steps × 1,024 rollouts, ~150 MB) imported end to end through
// the API: multipart upload → spooled to disk → cut into chunks of lines, each parsed, validated and
// scored (every completion re-scored with libs/calibration) and encoded for binary COPY by the
// API's parse workers → written in file order, in one transaction (COPY straight into rollouts for
// steps the run does not have yet; the aggregates folded at commit). Target: ≥ 50,000 rollouts/s.
//
// The same rows are also sent to the ingestion route (POST /v1/runs/{id}/rollouts, NDJSON: each
// line plus its step and sample_key) of an existing run: there the upload, the parsing and the
// COPY overlap from the first byte, as the import cannot (its run is created only once the whole
// request has arrived and been checked).
//
// Also measured apart, in this process, to show where the time goes: the upload alone (to a server
// that only reads it), the parse/score/encode work on one thread, the database writes of the
// encoded rows, and the hardware's ceiling: a bare binary COPY of the same rows into a copy of the
// rollouts table (its primary key, no aggregates, no checks of existing keys). Each import is
// timed by the client; `serverSeconds` is the API's own measure (after the upload).
//
//   node scripts/bench/import.bench.mjs     # BENCH_IMPORT_RUNS (5) timed imports after one warm-up
import { createReadStream, createWriteStream, existsSync, mkdirSync, openAsBlob, statSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';

import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

import { createBenchDatabase, median, postMultipart, startBenchApi } from './bench-api.mjs';
import { makeGenerations } from './make-generations.mjs';

const RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 5);
const TARGET_ROLLOUTS_PER_SECOND = 50_000;
const MiB = 1024 * 1024;
const root = new URL('../../', import.meta.url).pathname;
const round = (x) => Number(x.toFixed(3));
/** The bench API's admin Authorization header (set once it is started). */
let auth = {};

async function importOnce(apiUrl, file, client = 'http') {
  const started = performance.now();
  let status;
  let body;
  if (client === 'fetch') {
    const form = new FormData();
    form.append('name', 'bench import with fetch');
    form.append('files', await openAsBlob(file), 'generations.jsonl');
    const response = await fetch(`${apiUrl}/v1/imports`, { method: 'POST', body: form, headers: auth });
    status = response.status;
    body = await response.json();
  } else {
    ({ status, body } = await postMultipart(
      `${apiUrl}/v1/imports`,
      { name: 'bench import' },
      [{ name: 'generations.jsonl', path: file }],
      auth,
    ));
  }
  const seconds = (performance.now() - started) / 1000;
  if (status !== 201) throw new Error(`import answered ${status}: ${JSON.stringify(body)}`);
  return { seconds, serverSeconds: body.import.seconds, rollouts: body.import.rollouts, runId: body.id };
}

/** generations.jsonl as ingestion-route lines: each record plus its step and sample_key. */
async function makeRouteBody(source, target, batchSize = 1024) {
  const out = createWriteStream(target);
  let index = 0;
  for await (const line of createInterface({ input: createReadStream(source), crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    // Appended: the record keeps its prompt first, as the seed's lines (and an agent's) have it.
    const keys = `,"step":${Math.floor(index / batchSize)},"sample_key":"${index}"}`;
    index += 1;
    if (!out.write(`${line.slice(0, -1)}${keys}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** POST an NDJSON file to a run's ingestion route (streamed from disk); the answer's body. */
function postRollouts(apiUrl, runId, file, batchId) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${apiUrl}/v1/runs/${runId}/rollouts`,
      {
        method: 'POST',
        headers: {
          ...auth,
          'content-type': 'application/x-ndjson',
          'content-length': statSync(file).size,
          'batch-id': batchId,
        },
      },
      async (res) => {
        let text = '';
        for await (const chunk of res) text += chunk;
        if (res.statusCode !== 200) reject(new Error(`ingestion answered ${res.statusCode}: ${text}`));
        else resolve(JSON.parse(text));
      },
    );
    req.on('error', reject);
    pipeline(createReadStream(file, { highWaterMark: MiB }), req).catch(reject);
  });
}

/** Seconds of each POST of the route body to a new run of the API's database. */
async function ingestRoute(apiUrl, databaseUrl, file, runs) {
  const db = await import(`${root}libs/database/dist/index.js`);
  const dataSource = await db.createDataSource(databaseUrl, { poolSize: 1 }).initialize();
  try {
    const times = [];
    for (let i = 0; i < runs; i++) {
      const { run } = await new db.RunRepository(dataSource).create({
        kind: 'train',
        name: 'bench route',
        spec: {},
        specVersion: 1,
      });
      const started = performance.now();
      const answer = await postRollouts(apiUrl, run.id, file, `bench-route-${run.id}`);
      times.push((performance.now() - started) / 1000);
      if (answer.inserted !== 51_200) throw new Error(`the route stored ${JSON.stringify(answer)}`);
    }
    return times;
  } finally {
    await dataSource.destroy();
  }
}

/** The same upload to a server that reads the body and discards it: the floor of any HTTP import. */
async function uploadOnly(file) {
  const server = createServer(async (req, res) => {
    for await (const _ of req);
    res.setHeader('content-type', 'application/json');
    res.end('{}');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const times = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await postMultipart(`http://127.0.0.1:${server.address().port}/`, { name: 'x' }, [
        { name: 'generations.jsonl', path: file },
      ]);
      times.push((performance.now() - started) / 1000);
    }
    return median(times);
  } finally {
    server.close();
  }
}

/** Binary COPY of several buffers of tuples (header and trailer added) on a pg client. */
async function copyIn(client, sql, parts) {
  const stream = client.query(copyFrom(sql));
  const { COPY_BINARY_HEADER, COPY_BINARY_TRAILER } = await import(
    `${root}libs/database/dist/rollouts/copy-binary.js`
  );
  stream.write(COPY_BINARY_HEADER);
  for (const part of parts) stream.write(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
  stream.end(COPY_BINARY_TRAILER);
  await new Promise((resolve, reject) => stream.on('finish', resolve).on('error', reject));
}

/** Parse/score/encode on one thread, the database writes, and the bare COPY, each apart. */
async function stages(file, databaseUrl, rollouts) {
  const { SEED_LENGTH_PENALTY } = await import(`${root}libs/calibration/dist/index.js`);
  const { NdjsonChunker } = await import(`${root}apps/api/dist/rollouts/ndjson-chunker.js`);
  const { parseRolloutChunk } = await import(`${root}apps/api/dist/rollouts/rollout-chunk.parser.js`);
  const db = await import(`${root}libs/database/dist/index.js`);
  const { ROLLOUT_COPY_COLUMNS } = await import(`${root}libs/database/dist/rollouts/rollout-batch.js`);
  const dataSource = await db.createDataSource(databaseUrl, { poolSize: 3 }).initialize();
  try {
    const { run } = await new db.RunRepository(dataSource).create({
      kind: 'import',
      name: 'bench stages',
      spec: {},
      specVersion: 1,
    });
    const options = {
      context: { defaultAttempt: 0, penalty: SEED_LENGTH_PENALTY },
      positional: { batchSize: 1024 },
      maxErrors: 10,
    };
    let started = performance.now();
    const chunker = new NdjsonChunker({ maxBytes: 2 ** 40, maxLineBytes: 16 * MiB, chunkBytes: MiB });
    const batches = [];
    const parse = (chunk) => {
      const result = parseRolloutChunk({ ...chunk, options });
      if (result.errorLines > 0) throw new Error(JSON.stringify(result.errors));
      batches.push(result.batch);
    };
    for await (const bytes of createReadStream(file, { highWaterMark: MiB })) {
      const chunk = chunker.push(bytes);
      if (chunk) parse(chunk);
    }
    const last = chunker.end();
    if (last) parse(last);
    const parseSeconds = (performance.now() - started) / 1000;

    // The loader's writes: about 2,048 rows each.
    const writes = [];
    for (let i = 0, rows = 0, from = 0; i < batches.length; i++) {
      rows += batches[i].rows;
      if (rows >= 2048 || i === batches.length - 1) {
        writes.push(batches.slice(from, i + 1));
        from = i + 1;
        rows = 0;
      }
    }
    started = performance.now();
    const session = await new db.RolloutIngestRepository(dataSource).open(run.id, `bench-${run.id}`);
    for (const batch of writes) await session.write(batch);
    const result = await session.commit();
    const databaseSeconds = (performance.now() - started) / 1000;
    if (result.inserted !== rollouts) throw new Error(`stored ${result.inserted} of ${rollouts}`);

    // The ceiling: the same rows (prompt ids filled in by the session) into a bare copy of rollouts.
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query('CREATE TABLE bench_copy (LIKE rollouts INCLUDING ALL)');
      started = performance.now();
      await client.query('BEGIN');
      const sql = `COPY bench_copy (${ROLLOUT_COPY_COLUMNS.join(', ')}) FROM STDIN WITH (FORMAT binary)`;
      for (const write of writes)
        await copyIn(
          client,
          sql,
          write.map((b) => b.tuples),
        );
      await client.query('COMMIT');
      const rawCopySeconds = (performance.now() - started) / 1000;
      return {
        parseScoreEncodeSeconds: round(parseSeconds),
        databaseSeconds: round(databaseSeconds),
        rawCopySeconds: round(rawCopySeconds),
      };
    } finally {
      await client.query('DROP TABLE IF EXISTS bench_copy').catch(() => undefined);
      await client.end();
    }
  } finally {
    await dataSource.destroy();
  }
}

export async function benchImport(workDir) {
  mkdirSync(workDir, { recursive: true });
  const file = join(workDir, 'generations.jsonl');
  if (!existsSync(file)) await makeGenerations(file);
  const sizeMb = statSync(file).size / 2 ** 20;
  const routeFile = join(workDir, 'generations-route.ndjson');
  if (!existsSync(routeFile)) await makeRouteBody(file, routeFile);
  const database = await createBenchDatabase();
  let api;
  try {
    api = await startBenchApi(database.url);
    auth = api.authHeaders;
    // The first import also starts the parse workers and warms the JIT: reported, not in the median.
    const cold = await importOnce(api.url, file);
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await importOnce(api.url, file));
    const withFetch = await importOnce(api.url, file, 'fetch');
    const route = await ingestRoute(api.url, database.url, routeFile, RUNS);
    const rollouts = runs[0].rollouts;
    await api.stop();
    api = undefined;
    const apart = await stages(file, database.url, rollouts);
    const uploadOnlySeconds = await uploadOnly(file);
    const seconds = median(runs.map((r) => r.seconds));
    const serverSeconds = median(runs.map((r) => r.serverSeconds));
    const rolloutsPerSecond = Math.round(rollouts / seconds);
    return {
      name: 'import',
      input: { rollouts, sizeMb: Number(sizeMb.toFixed(1)) },
      seconds: round(seconds),
      rolloutsPerSecond,
      range: {
        seconds: [
          round(Math.min(...runs.map((r) => r.seconds))),
          round(Math.max(...runs.map((r) => r.seconds))),
        ],
        rolloutsPerSecond: [
          Math.round(rollouts / Math.max(...runs.map((r) => r.seconds))),
          Math.round(rollouts / Math.min(...runs.map((r) => r.seconds))),
        ],
      },
      breakdown: {
        // The upload alone: this client to a server that reads and discards the body.
        uploadOnlySeconds: round(uploadOnlySeconds),
        // Upload and spooling to the temporary folder, in the API (client time − server time).
        uploadSeconds: round(seconds - serverSeconds),
        // Reading the spooled file, parsing, scoring, storing and committing, overlapped.
        importSeconds: round(serverSeconds),
        // The same work apart, not overlapped: one thread's parse/score/encode, the database writes,
        // and a bare binary COPY of the same rows (the hardware's ceiling for storing them).
        ...apart,
      },
      runs: runs.map(({ seconds: s, serverSeconds: ss }) => ({ seconds: round(s), serverSeconds: ss })),
      coldFirstRun: { seconds: round(cold.seconds), serverSeconds: cold.serverSeconds },
      // Node's fetch (FormData + openAsBlob) as the client, once: the client's own cost shows.
      fetchClientRun: { seconds: round(withFetch.seconds), serverSeconds: withFetch.serverSeconds },
      // The same 51,200 rows through POST /v1/runs/{id}/rollouts into an existing run.
      ingestionRoute: {
        seconds: round(median(route)),
        rolloutsPerSecond: Math.round(rollouts / median(route)),
        runs: route.map(round),
      },
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
