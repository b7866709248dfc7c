import type pg from 'pg';
import type { DataSource } from 'typeorm';

import { driverErrorCode } from '../query-errors.js';
import { isUuid } from '../uuid.js';
import { PromptIds } from './prompt-ids.js';
import { encodeRolloutBatch } from './rollout-batch.js';
import { RolloutIngestSession, type IngestResult } from './rollout-ingest-session.js';
import { CLAIM_BATCH, CREATE_STAGES, FIND_BATCH } from './rollout-ingest.sql.js';
import type { RolloutRow } from './rollout-row.js';

export { LeaseLostError, RolloutIngestSession, type IngestResult } from './rollout-ingest-session.js';

/** The batch id is already recorded for another run: a client bug, never a replay. */
export class BatchRunMismatchError extends Error {
  constructor(batchId: string, runId: string, otherRunId: string) {
    super(`ingest batch ${batchId} belongs to run ${otherRunId}, not ${runId}`);
    this.name = 'BatchRunMismatchError';
  }
}

export class UnknownRunError extends Error {
  constructor(readonly runId: string) {
    super(`run ${runId} does not exist`);
    this.name = 'UnknownRunError';
  }
}

/**
 * The one way rollouts are written: idempotent ingestion of scored rollouts by batch id, with the
 * run's step_aggregates maintained from exactly the rows inserted. `ingest` stores an array of rows
 * at once; `open` starts a session that takes encoded batches one after another (a streamed body,
 * an import), all in one transaction. SQL: rollout-ingest.sql.ts.
 */
export class RolloutIngestRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Validate, then store `rows` as batch `batchId` (RolloutBatchError before anything is written). */
  async ingest(runId: string, batchId: string, rows: readonly RolloutRow[]): Promise<IngestResult> {
    checkIds(runId, batchId);
    const batch = encodeRolloutBatch(rows);
    // Prompts first, autocommitted, before the session holds a connection: a session never waits
    // for a second one (concurrent ingests may use the whole pool).
    const prompts = new PromptIds();
    const query = (sql: string, parameters: unknown[]) => this.dataSource.query(sql, parameters);
    await prompts.resolve([batch], query, query);
    const session = await this.open(runId, batchId, prompts);
    if (session === null) return { inserted: 0, skipped: batch.received, duplicateBatch: true };
    try {
      await session.write(batch);
      return await session.commit();
    } finally {
      await session.rollback();
    }
  }

  /**
   * Begin a transaction and claim `batchId` for the run. Returns null when the batch was stored
   * before (a replay: nothing to do). Throws UnknownRunError, or BatchRunMismatchError when the
   * batch id belongs to another run. While a session with the same batch id is open elsewhere,
   * this waits for it to end. (`prompts`: ids already known, for `ingest`.)
   */
  async open(
    runId: string,
    batchId: string,
    prompts = new PromptIds(),
  ): Promise<RolloutIngestSession | null> {
    checkIds(runId, batchId);
    const queryRunner = this.dataSource.createQueryRunner();
    const client = (await queryRunner.connect()) as pg.PoolClient;
    try {
      await queryRunner.startTransaction();
      // The staging tables have no statistics, so the planner may guess a large table and JIT-compile
      // a statement: ~130 ms each, more than running it. Never worth it for an ingest.
      await client.query('SET LOCAL jit = off');
      const claimed = await client.query(CLAIM_BATCH, [batchId, runId]);
      if (claimed.rows.length > 0) {
        // The tables may exist already in this pooled session (emptied at its last commit).
        await client.query('SET LOCAL client_min_messages = warning');
        for (const sql of CREATE_STAGES) await client.query(sql);
        return new RolloutIngestSession(this.dataSource, queryRunner, client, runId, batchId, prompts);
      }
      const existing = await client.query<{ run_id: string }>(FIND_BATCH, [batchId]);
      await queryRunner.rollbackTransaction();
      await queryRunner.release();
      const other = existing.rows[0]?.run_id;
      if (other !== undefined && other !== runId.toLowerCase()) {
        throw new BatchRunMismatchError(batchId, runId, other);
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

function checkIds(runId: string, batchId: string): void {
  if (!isUuid(runId)) throw new TypeError(`run id must be a UUID (got ${JSON.stringify(runId)})`);
  if (typeof batchId !== 'string' || batchId === '')
    throw new TypeError('batch id must be a non-empty string');
}
