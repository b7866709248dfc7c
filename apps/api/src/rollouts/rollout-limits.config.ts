import { availableParallelism, tmpdir } from 'node:os';

import { validateConfig } from '@brier/config';
import { IsInt, IsString, Max, Min, MinLength } from 'class-validator';

const MiB = 1024 * 1024;

const defaultParseThreads = (): number => Math.min(4, availableParallelism());
const GiB = 1024 * MiB;

const bytes = (max: number, min = 1024) => `must be a whole number of bytes from ${min} to ${max}`;

/**
 * Limits of the rollout ingestion, export and import routes, from the environment (validated at
 * boot like ApiConfig: a bad value stops the API with one line per variable). Defaults fit a
 * seed-sized body (51,200 rollouts, ~150 MB) with room to spare.
 */
export class RolloutLimitsConfig {
  /** Largest NDJSON body of POST /v1/runs/{id}/rollouts, decompressed (413 past it). */
  @IsInt({ message: bytes(16 * GiB) })
  @Min(1024, { message: bytes(16 * GiB) })
  @Max(16 * GiB, { message: bytes(16 * GiB) })
  ROLLOUTS_MAX_BODY_BYTES: number = 512 * MiB;

  /** Most rollouts in one ingestion request (413 past it). */
  @IsInt({ message: 'must be a whole number from 1 to 10000000' })
  @Min(1, { message: 'must be a whole number from 1 to 10000000' })
  @Max(10_000_000, { message: 'must be a whole number from 1 to 10000000' })
  ROLLOUTS_MAX_ROWS: number = 250_000;

  /** Longest single NDJSON line (one rollout), in bytes. */
  @IsInt({ message: bytes(GiB) })
  @Min(1024, { message: bytes(GiB) })
  @Max(GiB, { message: bytes(GiB) })
  ROLLOUTS_MAX_LINE_BYTES: number = 16 * MiB;

  /**
   * Ingestion sessions (requests and imports writing rollouts) at once; more wait their turn. Each
   * holds a database connection for its whole body and briefly needs a second: keep it well under
   * the pool size (10).
   */
  @IsInt({ message: 'must be a whole number from 1 to 32' })
  @Min(1, { message: 'must be a whole number from 1 to 32' })
  @Max(32, { message: 'must be a whole number from 1 to 32' })
  ROLLOUTS_MAX_SESSIONS: number = 3;

  /**
   * Worker threads parsing and scoring rollout lines (RolloutParsePool); 0 parses in the API's own
   * thread. Default: one per core, at most 4.
   */
  @IsInt({ message: 'must be a whole number from 0 to 32' })
  @Min(0, { message: 'must be a whole number from 0 to 32' })
  @Max(32, { message: 'must be a whole number from 0 to 32' })
  ROLLOUTS_PARSE_THREADS: number = defaultParseThreads();

  /** Streamed exports (CSV/JSONL through a cursor, one connection each) at once; more wait. */
  @IsInt({ message: 'must be a whole number from 1 to 32' })
  @Min(1, { message: 'must be a whole number from 1 to 32' })
  @Max(32, { message: 'must be a whole number from 1 to 32' })
  ROLLOUTS_MAX_EXPORTS: number = 3;

  /** Largest single file of POST /v1/imports (413 past it). */
  @IsInt({ message: bytes(64 * GiB) })
  @Min(1024, { message: bytes(64 * GiB) })
  @Max(64 * GiB, { message: bytes(64 * GiB) })
  IMPORT_MAX_FILE_BYTES: number = 2 * GiB;

  /** Largest upload of POST /v1/imports, all files together (413 past it). */
  @IsInt({ message: bytes(64 * GiB) })
  @Min(1024, { message: bytes(64 * GiB) })
  @Max(64 * GiB, { message: bytes(64 * GiB) })
  IMPORT_MAX_TOTAL_BYTES: number = 4 * GiB;

  /**
   * Bytes of an uploaded generations.jsonl parsed while it uploads, at most (its encoded rows wait
   * in memory for the import: ~40% of the bytes); the rest is parsed after the upload. 0: none.
   */
  @IsInt({ message: bytes(16 * GiB, 0) })
  @Min(0, { message: bytes(16 * GiB, 0) })
  @Max(16 * GiB, { message: bytes(16 * GiB, 0) })
  IMPORT_PREFETCH_BYTES: number = 256 * MiB;

  /** Where uploads are spooled while an import runs (a folder per request, removed after). */
  @IsString()
  @MinLength(1)
  IMPORT_TMP_DIR: string = tmpdir();
}

/** The limits from an environment (process.env in the API). */
export function loadRolloutLimits(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RolloutLimitsConfig {
  return validateConfig(RolloutLimitsConfig, env);
}
