import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { constants, gunzip as gunzipCallback, gzipSync } from 'node:zlib';

import { BATCH_ID_PATTERN, type RolloutWire } from '@brier/contracts';

import type { BatchPayload } from '../api-client/agent-api.client.js';

export type { BatchPayload } from '../api-client/agent-api.client.js';

const gunzip = promisify(gunzipCallback);

/**
 * The idempotency key of a rollout batch: the run, the attempt and the batch's index range. A
 * batch keeps it through every retry, so a replay after a lost answer is a no-op at the API.
 */
export function rolloutBatchId(
  runId: string,
  attempt: number,
  firstIndex: number,
  lastIndex: number,
): string {
  const id = `r-${runId}-a${attempt}-i${firstIndex}-${lastIndex}`;
  if (!BATCH_ID_PATTERN.test(id)) throw new Error(`not a valid batch id: ${id}`);
  return id;
}

/**
 * A batch as NDJSON, one rollout per line. It goes to the API uncompressed from memory: gzipping
 * tens of rollouts a second was the biggest CPU cost the agent had for a run, for bytes the link
 * does not miss (the seed's 1,024 rollouts a step are ~3 MB per ~110 s).
 */
export function encodeRollouts(rollouts: readonly RolloutWire[]): Buffer {
  return Buffer.from(rollouts.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

export async function decodeRollouts(payload: BatchPayload): Promise<RolloutWire[]> {
  const text = (payload.gzipped ? await gunzip(payload.body) : payload.body).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RolloutWire);
}

/**
 * Rollout batches on disk (those waiting while the API is behind, and those it refused), one
 * gzipped NDJSON file each, named so that they sort in the order they were cut. Written
 * atomically (a temporary name, then rename), so a file that exists is whole.
 */
export class RolloutSpool {
  readonly dir: string;
  private ready: Promise<unknown> | null = null;

  constructor(dir: string) {
    this.dir = dir;
  }

  fileOf(seq: number, batchId: string): string {
    return join(this.dir, `${String(seq).padStart(8, '0')}-${batchId}.ndjson.gz`);
  }

  /** Writes a batch's NDJSON to `file`, gzipped. */
  async write(file: string, ndjson: Buffer): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true }).catch((error: unknown) => {
      this.ready = null; // try again with the next batch
      throw error;
    });
    await this.ready;
    const temporary = `${file}.tmp`;
    // Level 1 gets most of the ratio (the prompts repeat: ~8 % of the text, level 6 ~6 %), and a
    // spooled batch waits for a slow API, so its size matters there.
    await writeFile(temporary, gzipSync(ndjson, { level: constants.Z_BEST_SPEED }));
    await rename(temporary, file);
  }

  /** A spooled batch, still gzipped (sent as it is). */
  async read(file: string): Promise<BatchPayload> {
    return { body: await readFile(file), gzipped: true };
  }

  async remove(file: string): Promise<void> {
    await rm(file, { force: true });
  }

  /** Where a batch the API refused is kept for a person to look at, out of the way of the queue. */
  setAsideFileOf(file: string): string {
    return `${file}.rejected`;
  }

  /** Moves a spooled batch the API refused to setAsideFileOf(file). */
  async setAside(file: string): Promise<string> {
    const kept = this.setAsideFileOf(file);
    await rename(file, kept);
    return kept;
  }
}
