import { finished } from 'node:stream/promises';

import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource, QueryRunner } from 'typeorm';

import { StepAggregateFold } from '../metrics/step-aggregate-fold.js';
import { driverErrorCode } from '../query-errors.js';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER, uuidBytes } from './copy-binary.js';
import type { PromptIds } from './prompt-ids.js';
import type { EncodedRolloutBatch } from './rollout-batch.js';
import {
  COPY_INTO_ROLLOUTS,
  COPY_INTO_ROW_STAGE,
  EXISTING_PAIRS,
  FINISH_BATCH,
  FOLD_STAGED,
  FOLD_STAGED_NAME,
  INSERT_STAGED,
  INSERT_STAGED_NAME,
  LOCK_LEASE_SHARED,
  RELEASE_SAVEPOINT,
  ROLLBACK_TO_SAVEPOINT,
  SAVEPOINT,
  TRUNCATE_ROW_STAGE,
  UPSERT_SUMS,
  UPSERT_SUMS_NAME,
} from './rollout-ingest.sql.js';

export interface IngestResult {
  /** Rows new to the database (folded into step_aggregates). */
  inserted: number;
  /** Rows received but already stored, or repeated within the batch. */
  skipped: number;
  /** The batch id was seen before: nothing was written. */
  duplicateBatch: boolean;
}

/** The lease presented at commit is no longer the run's (reaped, re-claimed, finished, cancelled). */
export class LeaseLostError extends Error {
  constructor(readonly runId: string) {
    super(`run ${runId}: the lease is over; nothing was stored`);
    this.name = 'LeaseLostError';
  }
}

/**
 * Direct writes per transaction, at most: each uses a savepoint, and a transaction with more than
 * 64 subtransactions overflows Postgres' per-backend cache of them, slowing every other session's
 * snapshots. Past this, batches are staged (no savepoint).
 */
const MAX_DIRECT_WRITES = 48;

const pairKey = (step: number, attempt: number): number => step * 2 ** 31 + attempt;

/** One COPY of binary tuples, from several buffers (header and trailer added here). */
async function copyIn(client: pg.PoolClient, sql: string, parts: readonly Uint8Array[]): Promise<void> {
  const stream = client.query(copyFrom(sql));
  stream.write(COPY_BINARY_HEADER);
  for (const part of parts) stream.write(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
  stream.end(COPY_BINARY_TRAILER);
  await finished(stream);
}

/**
 * One ingest: any number of encoded batches (encodeRolloutBatch, or the API's worker threads) in
 * ONE transaction, opened by RolloutIngestRepository.open once the batch id was claimed. Until
 * commit nothing is visible; a rollback (a malformed line later in a body, a lost lease, a
 * failure) leaves nothing behind but prompts.
 *
 * New prompts are upserted in their own short autocommitted statement (on another pooled
 * connection): they are append-only and content-addressed, so one left unused by a rollback is
 * harmless, and no long transaction ever holds a prompt's unique-index lock (two long ingests
 * sharing passages would otherwise wait on each other, or deadlock). A session writing new prompts
 * therefore needs a second connection for a moment: callers bound the number of concurrent
 * sessions well below the pool size (RolloutIngestRepository.ingest stores its prompts before it
 * takes its connection).
 */
export class RolloutIngestSession {
  private received = 0;
  private inserted = 0;
  /** Writes made directly, made staged, and direct attempts that met an existing key. */
  private readonly writes = { direct: 0, staged: 0, fellBack: 0 };
  /** Sums of the rows written directly (all of them new). */
  private readonly directSums = new StepAggregateFold();
  private done = false;
  private readonly runIdBytes: Uint8Array;
  /** (step, attempt) pairs with no rows before this session, and pairs that had some. */
  private readonly freshPairs = new Set<number>();
  private readonly stalePairs = new Set<number>();

  /** @internal use RolloutIngestRepository.open */
  constructor(
    private readonly dataSource: DataSource,
    private readonly queryRunner: QueryRunner,
    private readonly client: pg.PoolClient,
    readonly runId: string,
    readonly batchId: string,
    private readonly prompts: PromptIds,
  ) {
    this.runIdBytes = uuidBytes(runId);
  }

  /** Rows received so far (duplicates included), and new rows so far. */
  get counts(): { received: number; inserted: number } {
    return { received: this.received, inserted: this.inserted };
  }

  /** How the writes went: COPY into rollouts, staged, and direct tries that met an existing key. */
  get paths(): { direct: number; staged: number; fellBack: number } {
    return { ...this.writes };
  }

  /**
   * Store encoded batches of this run, in one COPY (their rows in order: where a natural key
   * repeats, the first wins). Await each write before the next. Returns the rows inserted.
   */
  async write(batches: EncodedRolloutBatch | readonly EncodedRolloutBatch[]): Promise<number> {
    if (this.done) throw new Error('ingest session is over');
    const list: readonly EncodedRolloutBatch[] = Array.isArray(batches) ? batches : [batches];
    let rows = 0;
    for (const batch of list) {
      this.received += batch.received;
      rows += batch.rows;
    }
    if (rows === 0) return 0;
    await this.prompts.resolve(
      list,
      async (sql, parameters) => (await this.client.query(sql, parameters)).rows as unknown[],
      (sql, parameters) => this.dataSource.query(sql, parameters),
    );
    for (const batch of list) {
      for (const slot of batch.runIdSlots) batch.tuples.set(this.runIdBytes, slot);
      this.prompts.fill(batch);
    }
    const write = { rows, tuples: list.map((b) => b.tuples), pairs: list.flatMap((b) => b.pairs) };
    let inserted: number | null = null;
    if (await this.canWriteDirectly(write.pairs)) {
      inserted = await this.writeDirectly(write);
      if (inserted !== null) for (const batch of list) this.directSums.merge(batch.aggregates);
    }
    inserted ??= await this.writeStaged(write.tuples);
    this.inserted += inserted;
    return inserted;
  }

  /**
   * Fold the inserted rows into step_aggregates, record the batch's counts and commit. With a lease
   * token, the run's lease is checked (and held) first: LeaseLostError, and nothing is stored,
   * when it is no longer this one.
   */
  async commit(options: { leaseToken?: string } = {}): Promise<IngestResult> {
    if (this.done) throw new Error('ingest session is over');
    try {
      if (options.leaseToken !== undefined) {
        const held = await this.client.query(LOCK_LEASE_SHARED, [this.runId, options.leaseToken]);
        if (held.rows.length === 0) throw new LeaseLostError(this.runId);
      }
      if (this.directSums.size > 0) {
        const sums = JSON.stringify(this.directSums.rows());
        await this.client.query({ name: UPSERT_SUMS_NAME, text: UPSERT_SUMS, values: [this.runId, sums] });
      }
      if (this.writes.staged > 0) {
        await this.client.query({ name: FOLD_STAGED_NAME, text: FOLD_STAGED, values: [this.runId] });
      }
      const skipped = this.received - this.inserted;
      await this.client.query(FINISH_BATCH, [this.batchId, this.received, this.inserted, skipped]);
      await this.queryRunner.commitTransaction();
    } catch (error) {
      await this.rollback();
      throw error;
    }
    await this.end();
    return { inserted: this.inserted, skipped: this.received - this.inserted, duplicateBatch: false };
  }

  /** Undo everything of this session (safe to call more than once, and after a failure). */
  async rollback(): Promise<void> {
    if (this.done) return;
    // A failed rollback means the connection is gone: the server rolls back on its own.
    await this.queryRunner.rollbackTransaction().catch(() => undefined);
    await this.end();
  }

  private async end(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.queryRunner.release();
  }

  /** Whether none of the (step, attempt) pairs had rows before this session (probed once each). */
  private async canWriteDirectly(pairs: readonly number[]): Promise<boolean> {
    if (this.writes.direct + this.writes.fellBack >= MAX_DIRECT_WRITES) return false;
    const steps: number[] = [];
    const attempts: number[] = [];
    const probed = new Set<number>();
    for (let i = 0; i < pairs.length; i += 2) {
      const key = pairKey(pairs[i]!, pairs[i + 1]!);
      if (this.stalePairs.has(key)) return false;
      if (this.freshPairs.has(key) || probed.has(key)) continue;
      probed.add(key);
      steps.push(pairs[i]!);
      attempts.push(pairs[i + 1]!);
    }
    if (steps.length > 0) {
      const existing = await this.client.query<{ step: number; attempt: number }>(EXISTING_PAIRS, [
        this.runId,
        steps,
        attempts,
      ]);
      for (const { step, attempt } of existing.rows) this.stalePairs.add(pairKey(step, attempt));
      steps.forEach((step, i) => {
        const key = pairKey(step, attempts[i]!);
        if (!this.stalePairs.has(key)) this.freshPairs.add(key);
      });
      if (existing.rows.length > 0) return false;
    }
    return true;
  }

  /** COPY straight into rollouts; null (and nothing written) when a natural key exists after all. */
  private async writeDirectly(write: {
    rows: number;
    tuples: Uint8Array[];
    pairs: number[];
  }): Promise<number | null> {
    await this.client.query(SAVEPOINT);
    try {
      await copyIn(this.client, COPY_INTO_ROLLOUTS, write.tuples);
    } catch (error) {
      if (driverErrorCode(error) !== '23505') throw error;
      await this.client.query(ROLLBACK_TO_SAVEPOINT);
      this.writes.fellBack += 1;
      for (let i = 0; i < write.pairs.length; i += 2) {
        const key = pairKey(write.pairs[i]!, write.pairs[i + 1]!);
        this.freshPairs.delete(key);
        this.stalePairs.add(key);
      }
      return null;
    }
    await this.client.query(RELEASE_SAVEPOINT);
    this.writes.direct += 1;
    return write.rows;
  }

  /** COPY into the staging table, then insert what is new (ON CONFLICT DO NOTHING). */
  private async writeStaged(tuples: Uint8Array[]): Promise<number> {
    if (this.writes.staged > 0) await this.client.query(TRUNCATE_ROW_STAGE);
    this.writes.staged += 1;
    await copyIn(this.client, COPY_INTO_ROW_STAGE, tuples);
    const result = await this.client.query({ name: INSERT_STAGED_NAME, text: INSERT_STAGED });
    return result.rowCount ?? 0;
  }
}
