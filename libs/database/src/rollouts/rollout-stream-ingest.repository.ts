import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource, QueryRunner } from 'typeorm';

import { driverErrorCode } from '../query-errors.js';
import { isUuid } from '../uuid.js';
import { copyChunks, type PreparedRolloutBatch } from './rollout-batch.js';
import { BatchRunMismatchError, UnknownRunError, type IngestResult } from './rollout-ingest.repository.js';
import {
  CLAIM_BATCH,
  COPY_INTO_STAGE,
  CREATE_STAGE,
  FIND_BATCH,
  UPSERT_PROMPTS,
} from './rollout-ingest.sql.js';
import {
  FINISH_STREAM_BATCH,
  INSERT_STAGED_CHUNK,
  INSERT_STAGED_CHUNK_NAME,
  LOCK_LEASE_SHARED,
  TRUNCATE_STAGE,
} from './rollout-stream-ingest.sql.js';

/** The lease presented at commit is no longer the run's (reaped, re-claimed, finished, cancelled). */
export class LeaseLostError extends Error {
  constructor(readonly runId: string) {
    super(`run ${runId}: the lease is over; nothing was stored`);
    this.name = 'LeaseLostError';
  }
}

/**
 * One request's rollouts, any number of chunks, in ONE transaction: the batch id is claimed first
 * (a replay stops there), each chunk is COPYed into the staging table and moved into rollouts with
 * its rows folded into step_aggregates, and the batch's counts are recorded at commit. Until
 * commit nothing is visible; a rollback (a malformed line later in the body, a lost lease, a
 * failure) leaves nothing behind but prompts.
 *
 * Prompts are upserted in their own short autocommitted statement (on another pooled connection)
 * before each chunk: they are append-only and content-addressed, so one left unused by a rollback
 * is harmless, and no long transaction ever holds a prompt's unique-index lock (two long ingests
 * sharing passages would otherwise wait on each other, or deadlock). A session therefore needs a
 * second connection for a moment: callers bound the number of concurrent sessions well below the
 * pool size.
 */
export class RolloutIngestSession {
  private received = 0;
  private inserted = 0;
  private staged = false;
  private done = false;

  /** @internal use RolloutStreamIngestRepository.open */
  constructor(
    private readonly dataSource: DataSource,
    private readonly queryRunner: QueryRunner,
    private readonly client: pg.PoolClient,
    readonly runId: string,
    readonly batchId: string,
  ) {}

  /** Rows received so far (duplicates included), and new rows so far. */
  get counts(): { received: number; inserted: number } {
    return { received: this.received, inserted: this.inserted };
  }

  /** Store one validated chunk (prepareRolloutBatch). Await each write before the next. */
  async write(batch: PreparedRolloutBatch): Promise<number> {
    if (this.done) throw new Error('ingest session is over');
    this.received += batch.received;
    if (batch.rows.length === 0) return 0;
    if (batch.prompts.size > 0) {
      const hashes = [...batch.prompts.keys()].sort();
      await this.dataSource.query(UPSERT_PROMPTS, [hashes, hashes.map((h) => batch.prompts.get(h))]);
    }
    if (this.staged) {
      await this.client.query(TRUNCATE_STAGE);
    } else {
      // The table may exist already in this pooled session (ON COMMIT DELETE ROWS: empty now).
      await this.client.query(`SET LOCAL client_min_messages = warning`);
      await this.client.query(CREATE_STAGE);
      this.staged = true;
    }
    await pipeline(Readable.from(copyChunks(batch, 512)), this.client.query(copyFrom(COPY_INTO_STAGE)));
    const result = await this.client.query<{ inserted: number }>({
      name: INSERT_STAGED_CHUNK_NAME,
      text: INSERT_STAGED_CHUNK,
      values: [this.runId],
    });
    const inserted = result.rows[0]!.inserted;
    this.inserted += inserted;
    return inserted;
  }

  /**
   * Record the batch's counts and commit. With a lease token, the run's lease is checked (and held)
   * first: LeaseLostError, and nothing is stored, when it is no longer this one.
   */
  async commit(options: { leaseToken?: string } = {}): Promise<IngestResult> {
    if (this.done) throw new Error('ingest session is over');
    try {
      if (options.leaseToken !== undefined) {
        const held = await this.client.query(LOCK_LEASE_SHARED, [this.runId, options.leaseToken]);
        if (held.rows.length === 0) throw new LeaseLostError(this.runId);
      }
      await this.client.query(FINISH_STREAM_BATCH, [
        this.batchId,
        this.received,
        this.inserted,
        this.received - this.inserted,
      ]);
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
}

/**
 * Opens ingest sessions (see RolloutIngestSession); the sibling of RolloutIngestRepository for
 * bodies too large to hold in memory at once: POST /v1/runs/{id}/rollouts and imports.
 */
export class RolloutStreamIngestRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Begin a transaction and claim `batchId` for the run. Returns null when the batch was stored
   * before (a replay: nothing to do). Throws UnknownRunError, or BatchRunMismatchError when the
   * batch id belongs to another run. While a session with the same batch id is open elsewhere,
   * this waits for it to end.
   */
  async open(runId: string, batchId: string): Promise<RolloutIngestSession | null> {
    if (!isUuid(runId)) throw new TypeError(`run id must be a UUID (got ${JSON.stringify(runId)})`);
    if (typeof batchId !== 'string' || batchId === '')
      throw new TypeError('batch id must be a non-empty string');
    const queryRunner = this.dataSource.createQueryRunner();
    const client = (await queryRunner.connect()) as pg.PoolClient;
    try {
      await queryRunner.startTransaction();
      // The staging table has no statistics, so the planner guesses ~20k rows a chunk and JIT-compiles
      // the insert: ~130 ms per chunk, more than running it. Never worth it for a chunk.
      await queryRunner.query('SET LOCAL jit = off');
      const claimed = (await queryRunner.query(CLAIM_BATCH, [batchId, runId, 0])) as unknown[];
      if (claimed.length > 0)
        return new RolloutIngestSession(this.dataSource, queryRunner, client, runId, batchId);
      const [existing] = (await queryRunner.query(FIND_BATCH, [batchId])) as { run_id: string }[];
      await queryRunner.rollbackTransaction();
      await queryRunner.release();
      if (existing && existing.run_id !== runId.toLowerCase()) {
        throw new BatchRunMismatchError(batchId, runId, existing.run_id);
      }
      return null;
    } catch (error) {
      if (!queryRunner.isReleased) {
        await queryRunner.rollbackTransaction().catch(() => undefined);
        await queryRunner.release();
      }
      if (driverErrorCode(error) === '23503') throw new UnknownRunError(runId);
      throw error;
    }
  }
}
