import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

import type { RolloutIngestSession } from '@brier/database';
import { readMetricsCsv, type RecognisedResultFile } from '@brier/results';

import { RolloutLoader } from '../rollouts/rollout-loader.js';
import type { RolloutParsePool } from '../rollouts/rollout-parse-pool.js';
import { ImportLinesError } from './import-errors.js';
import type { ImportReadSpec } from './import-fields.js';
import { generationsRecordsOptions } from './rollout-prefetch.js';

/** What an import stored from its rollout file. */
export interface LoadedRollouts {
  rollouts: number;
  steps: Set<number>;
  beyondMaxSteps: number;
}

/** Refreshes the import run's heartbeat now and then; throws when the run was cancelled. */
export type ImportBeat = () => Promise<void>;

/**
 * The loader an import's rollout file goes through: the parse workers, the seed's length penalty,
 * steps from the file or from positions (step = position // batch size).
 */
export function importLoader(
  session: RolloutIngestSession,
  pool: RolloutParsePool,
  spec: ImportReadSpec,
): RolloutLoader {
  const { context, positional } = generationsRecordsOptions(spec, 0);
  // A results file's lines are as long as they are (the upload caps bound the file).
  return new RolloutLoader(session, pool, {
    context,
    ...(positional ? { positional } : {}),
    maxLineBytes: Number.MAX_SAFE_INTEGER,
  });
}

/**
 * The rollout file's rows into the loader: generations.jsonl from byte `from` on (the bytes before
 * it were parsed during the upload), or calibration_metrics.csv whole.
 */
export async function feedRolloutFile(
  loader: RolloutLoader,
  source: RecognisedResultFile,
  from: number,
  beat: ImportBeat,
): Promise<void> {
  if (source.kind === 'generations') {
    for await (const chunk of fileBytes(source, from)) {
      await loader.addBytes(chunk);
      await beat();
    }
    return;
  }
  const rows = readMetricsCsv(source.path, (malformed) => loader.reject(malformed.line, '', malformed.error));
  let position = 0;
  for await (const row of rows) {
    if ((position++ & 1023) === 0) await beat();
    if (!loader.keepStep(row.step)) continue;
    await loader.add(row.line, {
      step: row.step,
      attempt: 0,
      sample_key: String(row.index),
      label: row.label,
      p_yes: row.pYes,
      brier_score: row.brier,
      reward: row.reward,
      parseable: row.parseable,
      length_penalty: row.lengthPenalty,
    });
  }
}

/** Wait for every write, then commit; ImportLinesError (nothing committed) when a line was bad. */
export async function commitImport(
  loader: RolloutLoader,
  session: RolloutIngestSession,
  source: RecognisedResultFile,
  beat: ImportBeat,
): Promise<LoadedRollouts> {
  const summary = await loader.finish();
  if (summary.errorLines > 0) throw new ImportLinesError(summary, source.name);
  await beat();
  const result = await session.commit();
  return {
    rollouts: result.inserted + result.skipped,
    steps: summary.steps,
    beyondMaxSteps: summary.beyondMaxSteps,
  };
}

/** A results file's bytes from `from` on (of the decompressed bytes: only 0 for a .gz file). */
function fileBytes(file: RecognisedResultFile, from: number): AsyncIterable<Buffer> {
  if (file.compressed && from > 0) throw new RangeError('a compressed file is read from its start');
  const raw = createReadStream(file.path, { highWaterMark: 1 << 20, start: from });
  if (!file.compressed) return raw;
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip) as Readable;
}
