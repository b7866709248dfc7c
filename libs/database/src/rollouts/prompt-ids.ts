import type { EncodedRolloutBatch } from './rollout-batch.js';
import { FIND_PROMPTS, UPSERT_PROMPTS } from './rollout-ingest.sql.js';

/** Runs one statement: a pooled DataSource (autocommit) or a session's own connection. */
export type Query = (sql: string, parameters: unknown[]) => Promise<unknown>;

/**
 * Prompt ids by SHA-256 (hex), for one ingest: each distinct prompt is looked up once, and stored
 * first when it is new. Prompts are append-only and content-addressed, so an id, once known, holds.
 */
export class PromptIds {
  private readonly ids = new Map<string, number>();

  /**
   * Know the id of every prompt of `batches`. `find` reads (it must see committed rows), `store`
   * upserts: callers pass an autocommitted query, so that no long transaction holds a prompt's
   * unique-index lock (two long ingests sharing passages would otherwise wait on each other).
   */
  async resolve(batches: readonly EncodedRolloutBatch[], find: Query, store: Query): Promise<void> {
    const textOf = new Map<string, string>();
    for (const batch of batches) {
      batch.promptHashes.forEach((hash, i) => {
        if (!this.ids.has(hash)) textOf.set(hash, batch.promptTexts[i]!);
      });
    }
    if (textOf.size === 0) return;
    await this.find([...textOf.keys()], find);
    // Sorted: concurrent upserts lock the same prompts in the same order.
    const missing = [...textOf.keys()].filter((hash) => !this.ids.has(hash)).sort();
    if (missing.length === 0) return;
    await store(UPSERT_PROMPTS, [missing, missing.map((hash) => textOf.get(hash))]);
    await this.find(missing, find);
  }

  /** Write the ids into the batch's prompt_id slots (resolve first). */
  fill(batch: EncodedRolloutBatch): void {
    const ids = batch.promptHashes.map((hash) => {
      const id = this.ids.get(hash);
      if (id === undefined) throw new Error(`prompt ${hash} has no id: resolve the batch first`);
      return id;
    });
    const view = new DataView(batch.tuples.buffer, batch.tuples.byteOffset, batch.tuples.byteLength);
    for (let i = 0; i < batch.promptSlots.length; i++) {
      const id = ids[batch.promptOfSlot[i]!]!;
      const slot = batch.promptSlots[i]!;
      view.setUint32(slot, Math.floor(id / 2 ** 32));
      view.setUint32(slot + 4, id >>> 0);
    }
  }

  private async find(hashes: readonly string[], find: Query): Promise<void> {
    const rows = (await find(FIND_PROMPTS, [hashes])) as { hash: string; id: number }[];
    for (const row of rows) this.ids.set(row.hash, row.id);
  }
}
