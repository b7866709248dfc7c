import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource, QueryRunner } from 'typeorm';

import { driverErrorCode } from '../query-errors.js';
import { isUuid } from '../uuid.js';
import { copyChunks, prepareRolloutBatch, type PreparedRolloutBatch } from './rollout-batch.js';
import {
  CLAIM_BATCH,
  COPY_INTO_STAGE,
  CREATE_STAGE,
  FINISH_BATCH,
  FIND_BATCH,
  INSERT_STAGED_ROLLOUTS,
  INSERT_STAGED_ROLLOUTS_NAME,
  UPSERT_PROMPTS,
} from './rollout-ingest.sql.js';
import type { RolloutRow } from './rollout-row.js';

export interface IngestResult {
  /** Rows new to the database (folded into step_aggregates). */
  inserted: number;
  /** Rows received but already stored, or repeated within the batch. */
  skipped: number;
  /** The batch id was seen before: nothing was written. */
  duplicateBatch: boolean;
}

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

/** Pooled sessions (node-postgres clients) whose temporary staging table exists. */
const sessionsWithStage = new WeakSet<object>();

/**
 * Idempotent bulk ingestion of scored rollouts. One transaction per batch: the batch id is claimed
 * in ingest_batches (a replay stops there), prompts are upserted by SHA-256, the rows are COPYed into
 * a temporary staging table and moved into rollouts with ON CONFLICT DO NOTHING, and only the rows
 * actually inserted are folded into step_aggregates.
 */
export class RolloutIngestRepository {
  constructor(private readonly dataSource: DataSource) {}

  async ingest(runId: string, batchId: string, rows: readonly RolloutRow[]): Promise<IngestResult> {
    if (!isUuid(runId)) throw new TypeError(`run id must be a UUID (got ${JSON.stringify(runId)})`);
    if (typeof batchId !== 'string' || batchId === '')
      throw new TypeError('batch id must be a non-empty string');
    const batch = prepareRolloutBatch(rows);

    const queryRunner = this.dataSource.createQueryRunner();
    await queryRunner.connect();
    try {
      await queryRunner.startTransaction();
      try {
        const result = await this.ingestInTransaction(queryRunner, runId, batchId, batch);
        if (result.duplicateBatch) {
          await queryRunner.rollbackTransaction();
        } else {
          await queryRunner.commitTransaction();
          // The staging table now exists for the rest of this session (a rollback would have undone it).
          sessionsWithStage.add((await queryRunner.connect()) as object);
        }
        return result;
      } catch (error) {
        // A failed rollback means the connection is gone, and the server rolls back on its own:
        // the error worth reporting is the first one.
        await queryRunner.rollbackTransaction().catch(() => undefined);
        // If the session lost its staging table (DISCARD TEMP, a failed CREATE), make the next try recreate it.
        sessionsWithStage.delete((await queryRunner.connect()) as object);
        if (driverErrorCode(error) === '23503') throw new UnknownRunError(runId);
        throw error;
      }
    } finally {
      await queryRunner.release();
    }
  }

  private async ingestInTransaction(
    queryRunner: QueryRunner,
    runId: string,
    batchId: string,
    batch: PreparedRolloutBatch,
  ): Promise<IngestResult> {
    const claimed = (await queryRunner.query(CLAIM_BATCH, [batchId, runId, batch.received])) as unknown[];
    if (claimed.length === 0) {
      const [existing] = (await queryRunner.query(FIND_BATCH, [batchId])) as { run_id: string }[];
      if (existing && existing.run_id !== runId.toLowerCase()) {
        throw new BatchRunMismatchError(batchId, runId, existing.run_id);
      }
      return { inserted: 0, skipped: batch.received, duplicateBatch: true };
    }
    if (batch.rows.length === 0) {
      await queryRunner.query(FINISH_BATCH, [batchId, 0, batch.received]);
      return { inserted: 0, skipped: batch.received, duplicateBatch: false };
    }

    if (batch.prompts.size > 0) {
      const hashes = [...batch.prompts.keys()].sort();
      await queryRunner.query(UPSERT_PROMPTS, [hashes, hashes.map((h) => batch.prompts.get(h))]);
    }
    const client = (await queryRunner.connect()) as pg.PoolClient;
    if (!sessionsWithStage.has(client)) await queryRunner.query(CREATE_STAGE);
    await pipeline(Readable.from(copyChunks(batch)), client.query(copyFrom(COPY_INTO_STAGE)));
    const result = await client.query<{ inserted: number }>({
      name: INSERT_STAGED_ROLLOUTS_NAME,
      text: INSERT_STAGED_ROLLOUTS,
      values: [runId, batchId],
    });
    const inserted = result.rows[0]!.inserted;
    return { inserted, skipped: batch.received - inserted, duplicateBatch: false };
  }
}
