import type { DataSource } from 'typeorm';

import { isUuid } from '../uuid.js';
import {
  LATEST_STEP,
  rolloutSelectSql,
  sampleSql,
  type RolloutFilter,
  type RolloutKey,
  type SampleFilter,
} from './rollout-query.sql.js';

/** A stored rollout as read back (rollouts' column names; prompt only when asked for). */
export interface StoredRollout {
  step: number;
  attempt: number;
  sample_key: string;
  example_id: string | null;
  label: 0 | 1;
  p_yes: number;
  p_yes_extracted: number | null;
  parseable: boolean | null;
  brier: number;
  length_penalty: number | null;
  reward_trainer: number | null;
  reward_brier: number | null;
  approx_tokens: number | null;
  completion_chars: number | null;
  completion_tokens: number | null;
  answer_text: string | null;
  completion: string | null;
  created_at: Date;
  prompt?: string | null;
}

export interface RolloutPage {
  items: StoredRollout[];
  /** Pass as cursor for the next page; null on the last page. */
  nextCursor: string | null;
}

export class InvalidRolloutCursorError extends Error {
  constructor(cursor: string) {
    super(`invalid rollouts cursor ${JSON.stringify(cursor.slice(0, 200))}`);
    this.name = 'InvalidRolloutCursorError';
  }
}

const INT32_MAX = 2_147_483_647;
const isKeyInt = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= INT32_MAX;

export function encodeRolloutCursor(key: RolloutKey): string {
  return Buffer.from(JSON.stringify([key.step, key.attempt, key.sampleKey])).toString('base64url');
}

export function decodeRolloutCursor(cursor: string): RolloutKey {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 3) {
      const [step, attempt, sampleKey] = value as unknown[];
      if (isKeyInt(step) && isKeyInt(attempt) && typeof sampleKey === 'string' && !sampleKey.includes('\0')) {
        return { step, attempt, sampleKey };
      }
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidRolloutCursorError(cursor);
}

/** Rows fetched per round trip of an export's cursor. */
export const EXPORT_FETCH_ROWS = 1000;

/**
 * Rollouts read back: filtered keyset pages, whole-run exports through a server-side cursor, and
 * samples of a step. Every read sees each step's current attempt unless told otherwise.
 */
export class RolloutQueryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** One page in (step, attempt, sample_key) order; `limit` 1–1000. */
  async page(
    runId: string,
    filter: RolloutFilter,
    options: { limit: number; cursor?: string; includePrompt?: boolean },
  ): Promise<RolloutPage> {
    const after = options.cursor === undefined ? undefined : decodeRolloutCursor(options.cursor);
    if (!isUuid(runId)) return { items: [], nextCursor: null };
    const limit = Math.min(Math.max(Math.trunc(options.limit), 1), 1000);
    const params: unknown[] = [];
    const sql = rolloutSelectSql(
      runId,
      filter,
      { includePrompt: options.includePrompt ?? false, limit: limit + 1, ...(after ? { after } : {}) },
      params,
    );
    const rows = await this.dataSource.query<StoredRollout[]>(sql, params);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor:
        rows.length > limit && last
          ? encodeRolloutCursor({ step: last.step, attempt: last.attempt, sampleKey: last.sample_key })
          : null,
    };
  }

  /**
   * Every matching rollout, in order, in chunks of EXPORT_FETCH_ROWS read through a server-side
   * cursor (`DECLARE … CURSOR` in a read-only transaction on one connection): memory stays at one
   * chunk however large the run, and the next chunk is fetched only when the consumer asks for it
   * (backpressure). Stopping early (return/throw in the consumer) closes the cursor and releases
   * the connection.
   */
  async *export(
    runId: string,
    filter: RolloutFilter,
    options: { includePrompt?: boolean; fetchRows?: number } = {},
  ): AsyncGenerator<StoredRollout[]> {
    if (!isUuid(runId)) return;
    const params: unknown[] = [];
    const sql = rolloutSelectSql(runId, filter, { includePrompt: options.includePrompt ?? false }, params);
    const fetchRows = Math.max(1, Math.trunc(options.fetchRows ?? EXPORT_FETCH_ROWS));
    const queryRunner = this.dataSource.createQueryRunner();
    await queryRunner.connect();
    let committed = false;
    try {
      // One snapshot for the whole export: rows landing meanwhile do not tear it.
      await queryRunner.startTransaction('REPEATABLE READ');
      await queryRunner.query('SET TRANSACTION READ ONLY');
      await queryRunner.query(`DECLARE brier_rollout_export NO SCROLL CURSOR FOR ${sql}`, params);
      for (;;) {
        const rows = (await queryRunner.query(
          `FETCH ${fetchRows} FROM brier_rollout_export`,
        )) as StoredRollout[];
        if (rows.length > 0) yield rows;
        if (rows.length < fetchRows) break;
      }
      await queryRunner.query('CLOSE brier_rollout_export');
      await queryRunner.commitTransaction();
      committed = true;
    } finally {
      if (!committed) await queryRunner.rollbackTransaction().catch(() => undefined);
      await queryRunner.release();
    }
  }

  /** Up to n rollouts of one step's current attempt, with prompts (see sampleSql). */
  async sample(
    runId: string,
    step: number,
    filter: SampleFilter,
    n: number,
    seed: string,
  ): Promise<StoredRollout[]> {
    if (!isUuid(runId)) return [];
    return this.dataSource.query<StoredRollout[]>(sampleSql(filter), [runId, step, seed, n]);
  }

  /** The latest step with rollouts, or null. */
  async latestStep(runId: string): Promise<number | null> {
    if (!isUuid(runId)) return null;
    const [row] = await this.dataSource.query<{ step: number | null }[]>(LATEST_STEP, [runId]);
    return row?.step ?? null;
  }
}
