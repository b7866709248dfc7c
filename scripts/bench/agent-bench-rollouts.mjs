// Rollout latency for the agent benchmark: when each env-log line was written (its `ts`, set by
// calibrated_qa's RolloutLog inside the log's lock with time.time()) against when its row reached
// Postgres: the ingest transaction's now() (rollouts.created_at: when that transaction BEGAN, a
// lower bound of being visible) and the first time a reader polling the table saw the row's batch
// (an upper bound, by up to the poll interval).
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { summarize, wallNow } from './agent-bench-support.mjs';

export const VISIBILITY_POLL_MS = 100;

/** Polls a run's rollouts every VISIBILITY_POLL_MS; stop() gives when each batch (created_at) was first seen. */
export function watchVisibility(client, runId) {
  const firstSeen = new Map();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await client.query(
        'SELECT created_at::text AS at FROM rollouts WHERE run_id = $1 GROUP BY created_at',
        [runId],
      );
      const seen = wallNow();
      for (const { at } of rows) if (!firstSeen.has(at)) firstSeen.set(at, seen);
      await sleep(VISIBILITY_POLL_MS);
    }
  })();
  loop.catch(() => undefined); // surfaces through stop(), not as an unhandled rejection meanwhile
  return {
    async stop() {
      stopped = true;
      await loop;
      return firstSeen;
    },
  };
}

/**
 * Every stored rollout of attempt 1 joined to its env-log line (sample_key is `i<index>`), and
 * per ingest batch: how long its first line waited for its last (batching) and its last line to
 * the insert (the agent's tail poll, encode and spool, HTTP, the API).
 */
export async function rolloutLatency(client, runId, rolloutLog, firstSeen, targetMs) {
  const written = new Map();
  for (const line of readFileSync(rolloutLog, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line);
    written.set(`${record.step}/i${record.index}`, record.ts * 1000);
  }
  const { rows } = await client.query(
    `SELECT step, sample_key, created_at::text AS at, extract(epoch FROM created_at)::float8 * 1000 AS created_ms
     FROM rollouts WHERE run_id = $1 AND attempt = 1`,
    [runId],
  );
  const toInsert = [];
  const toVisible = [];
  const batches = new Map();
  for (const row of rows) {
    const ts = written.get(`${row.step}/${row.sample_key}`);
    if (ts === undefined)
      throw new Error(`stored rollout ${row.step}/${row.sample_key} is not in ${rolloutLog}`);
    toInsert.push(row.created_ms - ts);
    const seen = firstSeen.get(row.at);
    if (seen !== undefined) toVisible.push(seen - ts);
    const batch = batches.get(row.at) ?? { created: row.created_ms, seen, first: ts, last: ts, n: 0 };
    batch.first = Math.min(batch.first, ts);
    batch.last = Math.max(batch.last, ts);
    batch.n += 1;
    batches.set(row.at, batch);
  }
  const list = [...batches.values()];
  const under = toInsert.filter((ms) => ms < targetMs).length;
  return {
    written: written.size,
    stored: rows.length,
    lineToInsertTransaction: summarize(toInsert),
    lineToVisible: { ...summarize(toVisible), pollMs: VISIBILITY_POLL_MS },
    shareUnder1s: Number((under / Math.max(1, rows.length)).toFixed(4)),
    batches: {
      n: list.length,
      rolloutsPerBatch: summarize(list.map((b) => b.n)),
      firstToLastLine: summarize(list.map((b) => b.last - b.first)),
      lastLineToInsert: summarize(list.map((b) => b.created - b.last)),
      insertToVisible: summarize(list.filter((b) => b.seen !== undefined).map((b) => b.seen - b.created)),
    },
  };
}
