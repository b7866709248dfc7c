import { createHash } from 'node:crypto';

import type pg from 'pg';
import type { DataSource } from 'typeorm';

import { isUuid } from '../uuid.js';
import {
  groupReliabilityRows,
  type ReliabilityGroup,
  type ReliabilityRow,
  type RunStepMetrics,
} from './metrics.repository.js';
import {
  compareStepMetricSql,
  ENSEMBLE_QUESTIONS,
  ENSEMBLE_SUMMARY,
  RELIABILITY_BY_RUN,
  STEP_METRICS_AT_STEP,
  STEP_METRICS_BY_RUN,
  STEP_METRICS_FROM_ROLLOUTS_AT_STEP,
  type ComparableStepMetric,
} from './metrics.sql.js';

/** A prepared statement's name, from its text (pg refuses one name for two texts). */
function statementName(text: string): string {
  return `brier_m_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

export interface StepMetricValue {
  run_id: string;
  step: number;
  value: number | null;
}

export interface EnsembleQuestion {
  /** The example id, or `prompt:<id>` for a rollout source without example ids. */
  question: string;
  /** Rollouts of the question in the steps. */
  n: number;
  /** The ensemble forecast: mean P(YES) over those rollouts. */
  mean_p: number;
  label: 0 | 1;
  /** The question's rollouts disagree on the label (max is used): a data problem. */
  mixed_labels: boolean;
  brier: number;
  /** Positive-class bin of mean_p (0–9). */
  bin: number;
}

export interface EnsembleSummary {
  questions: number;
  rollouts: number;
  /** Rollouts with neither example id nor prompt: not in any ensemble. */
  unidentified: number;
  mixed_label_questions: number;
  /** Steps of the range that have rollouts. */
  steps: number;
  brier: number | null;
  ece: number | null;
  mce: number | null;
  accuracy: number | null;
}

type MetricsRow = RunStepMetrics & { run_id: string };

function toStepMetrics({ run_id: _runId, ...row }: MetricsRow): RunStepMetrics {
  return row;
}

/**
 * The API's metric reads: a run's steps and reliability bins (MetricsRepository's SQL, run as
 * named prepared statements: planning the view's SQL costs more than executing it, ~1 ms of a
 * dashboard read), one step, comparisons, ensembles.
 */
export class MetricsQueryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** MetricsRepository.stepMetrics, prepared: per-step metrics from step_aggregates only. */
  async stepMetrics(runId: string): Promise<RunStepMetrics[]> {
    if (!isUuid(runId)) return [];
    return (await this.prepared<MetricsRow>(STEP_METRICS_BY_RUN, [runId])).map(toStepMetrics);
  }

  /** MetricsRepository.reliability, prepared: bins pooled over groups of `groupSize` steps. */
  async reliability(runId: string, groupSize = 5): Promise<ReliabilityGroup[]> {
    if (!Number.isInteger(groupSize) || groupSize < 1)
      throw new RangeError('groupSize must be a positive integer');
    if (!isUuid(runId)) return [];
    const rows = await this.prepared<ReliabilityRow>(RELIABILITY_BY_RUN, [runId, groupSize]);
    return groupReliabilityRows(rows, groupSize);
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
    return (
      row ?? {
        questions: 0,
        rollouts: 0,
        unidentified: 0,
        mixed_label_questions: 0,
        steps: 0,
        brier: null,
        ece: null,
        mce: null,
        accuracy: null,
      }
    );
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
}
