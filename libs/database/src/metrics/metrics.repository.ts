import { createHash } from 'node:crypto';

import type pg from 'pg';
import type { DataSource } from 'typeorm';

import { LOCK_RUN_EXCLUSIVE } from '../rollouts/rollout-ingest.sql.js';
import { isUuid } from '../uuid.js';
import {
  EMPTY_ENSEMBLE_SUMMARY,
  groupReliabilityRows,
  toStepMetrics,
  type EnsembleQuestion,
  type EnsembleSummary,
  type MetricsRow,
  type ReliabilityGroup,
  type ReliabilityRow,
  type RunStepMetrics,
  type StepMetricValue,
} from './metric-rows.js';
import {
  compareStepMetricSql,
  DELETE_STEP_AGGREGATES,
  ENSEMBLE_QUESTIONS,
  ENSEMBLE_SUMMARY,
  REBUILD_STEP_AGGREGATES,
  RELIABILITY_BY_RUN,
  STEP_METRICS_AT_STEP,
  STEP_METRICS_BY_RUN,
  STEP_METRICS_FROM_ROLLOUTS,
  STEP_METRICS_FROM_ROLLOUTS_AT_STEP,
  type ComparableStepMetric,
} from './metrics.sql.js';

export type {
  EnsembleQuestion,
  EnsembleSummary,
  ReliabilityBinStats,
  ReliabilityGroup,
  RunStepMetrics,
  StepMetricValue,
} from './metric-rows.js';

/** A prepared statement's name, from its text (pg refuses one name for two texts). */
function statementName(text: string): string {
  return `brier_m_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

/**
 * Every metric read (all SQL in metrics.sql.ts): a run's steps and reliability bins, one step,
 * comparisons, ensembles, and the rebuild of a run's aggregates. The dashboard reads (stepMetrics,
 * reliability) run as named prepared statements: planning the view's SQL costs more than
 * executing it (~1 ms of a read).
 */
export class MetricsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Per-step metrics from step_aggregates only (never scans rollouts). */
  async stepMetrics(runId: string): Promise<RunStepMetrics[]> {
    if (!isUuid(runId)) return [];
    return (await this.prepared<MetricsRow>(STEP_METRICS_BY_RUN, [runId])).map(toStepMetrics);
  }

  /** The same metrics computed straight from raw rollouts (verification, audits). */
  async stepMetricsFromRollouts(runId: string): Promise<RunStepMetrics[]> {
    if (!isUuid(runId)) return [];
    const rows = await this.dataSource.query<MetricsRow[]>(STEP_METRICS_FROM_ROLLOUTS, [runId]);
    return rows.map(toStepMetrics);
  }

  /** Reliability-diagram bins pooled over groups of `groupSize` steps (the seed's: 5), from the aggregates. */
  async reliability(runId: string, groupSize = 5): Promise<ReliabilityGroup[]> {
    if (!Number.isInteger(groupSize) || groupSize < 1)
      throw new RangeError('groupSize must be a positive integer');
    if (!isUuid(runId)) return [];
    const rows = await this.prepared<ReliabilityRow>(RELIABILITY_BY_RUN, [runId, groupSize]);
    return groupReliabilityRows(rows, groupSize);
  }

  /** One step's metrics from the aggregates, or (source 'rollouts') recomputed from raw rows. */
  async stepMetricsAt(
    runId: string,
    step: number,
    source: 'aggregates' | 'rollouts',
  ): Promise<RunStepMetrics | null> {
    if (!isUuid(runId)) return null;
    const sql = source === 'rollouts' ? STEP_METRICS_FROM_ROLLOUTS_AT_STEP : STEP_METRICS_AT_STEP;
    const [row] = await this.dataSource.query<MetricsRow[]>(sql, [runId, step]);
    return row ? toStepMetrics(row) : null;
  }

  /** One metric of several runs, by step then run. */
  async compare(runIds: readonly string[], metric: ComparableStepMetric): Promise<StepMetricValue[]> {
    const ids = runIds.filter(isUuid);
    if (ids.length === 0) return [];
    return this.dataSource.query<StepMetricValue[]>(compareStepMetricSql(metric), [ids]);
  }

  /** The ensemble summary over steps [from, to]. */
  async ensembleSummary(runId: string, from: number, to: number): Promise<EnsembleSummary> {
    const [row] = isUuid(runId)
      ? await this.dataSource.query<EnsembleSummary[]>(ENSEMBLE_SUMMARY, [runId, from, to])
      : [];
    return row ?? { ...EMPTY_ENSEMBLE_SUMMARY };
  }

  /** A page of ensembles by question (after `after`, '' for the first), `limit` 1–10000. */
  async ensembleQuestions(
    runId: string,
    from: number,
    to: number,
    options: { after?: string; limit: number },
  ): Promise<EnsembleQuestion[]> {
    if (!isUuid(runId)) return [];
    const limit = Math.min(Math.max(Math.trunc(options.limit), 1), 10_000);
    return this.dataSource.query<EnsembleQuestion[]>(ENSEMBLE_QUESTIONS, [
      runId,
      from,
      to,
      options.after ?? '',
      limit,
    ]);
  }

  /**
   * Recompute a run's step_aggregates from its rollouts (after a bug fix in the fold, or to repair).
   * Waits for in-flight ingests of the run and holds new ones off until done. Returns the rows written.
   */
  async rebuildAggregates(runId: string): Promise<number> {
    if (!isUuid(runId)) return 0;
    return this.dataSource.transaction(async (manager) => {
      await manager.query(LOCK_RUN_EXCLUSIVE, [runId]);
      await manager.query(DELETE_STEP_AGGREGATES, [runId]);
      const result = await manager.query<unknown[]>(`${REBUILD_STEP_AGGREGATES} RETURNING 1`, [runId]);
      return result.length;
    });
  }

  private async prepared<T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
    const queryRunner = this.dataSource.createQueryRunner();
    try {
      const client = (await queryRunner.connect()) as pg.PoolClient;
      return (await client.query<T>({ name: statementName(text), text, values })).rows;
    } finally {
      await queryRunner.release();
    }
  }
}
