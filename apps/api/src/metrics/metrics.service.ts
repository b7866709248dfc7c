import { STEP_METRIC_COLUMNS } from '@brier/calibration';
import {
  MetricsRepository,
  RunRepository,
  type ComparableStepMetric,
  type EnsembleQuestion,
  type EnsembleSummary,
  type ReliabilityGroup,
  type RunStepMetrics,
} from '@brier/database';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { apiError, invalidRequest } from '../http/api-error.js';
import { parseStepRange } from '../rollouts/dto/query-values.js';
import type { MetricSource } from './metrics-queries.dto.js';

/**
 * The columns of GET /v1/runs/{id}/metrics (JSON keys and metrics.csv header): the CLI's columns
 * (`brier analyze`) first, then the share of penalised rollouts, prime-rl's own numbers, Brier's
 * recomputed reward and the attempt the step's rows come from.
 */
export const METRICS_COLUMNS = [
  ...STEP_METRIC_COLUMNS,
  'penalized_share',
  'orchestrator_reward',
  'orchestrator_seq_len',
  'reward_brier',
  'attempt',
] as const satisfies readonly (keyof RunStepMetrics)[];

export type MetricsRowView = Pick<RunStepMetrics, (typeof METRICS_COLUMNS)[number]>;

export function toMetricsRow(metrics: RunStepMetrics): MetricsRowView {
  const out = {} as Record<string, unknown>;
  for (const column of METRICS_COLUMNS) out[column] = metrics[column];
  return out as MetricsRowView;
}

export interface EnsemblesView extends EnsembleSummary {
  first_step: number;
  last_step: number;
  items: EnsembleQuestion[];
  /** Pass as `after` for the next page of questions; null on the last page. */
  nextAfter: string | null;
}

export interface CompareView {
  metric: ComparableStepMetric;
  runs: { id: string; name: string; kind: string; status: string }[];
  /** One row per step any of the runs has: the metric of each run (null where it has no such step). */
  steps: { step: number; values: Record<string, number | null> }[];
}

/** Metrics of runs, all from SQL (libs/database's metrics.sql.ts): per step, reliability, ensembles, comparisons. */
@Injectable()
export class MetricsService {
  constructor(
    private readonly runs: RunRepository,
    private readonly queries: MetricsRepository,
    private readonly dataSource: DataSource,
  ) {}

  /** Per-step metrics from the aggregates only (a dashboard read: one query when the run has steps). */
  async stepMetrics(runId: string): Promise<MetricsRowView[]> {
    const steps = await this.queries.stepMetrics(runId);
    if (steps.length === 0) await this.requireRun(runId);
    return steps.map(toMetricsRow);
  }

  async reliability(runId: string, group: number): Promise<ReliabilityGroup[]> {
    const groups = await this.queries.reliability(runId, group);
    if (groups.length === 0) await this.requireRun(runId);
    return groups;
  }

  async stepMetricsAt(runId: string, step: number, source: MetricSource): Promise<MetricsRowView> {
    const metrics = await this.queries.stepMetricsAt(runId, step, source);
    if (!metrics) {
      await this.requireRun(runId);
      throw apiError(404, `run ${runId} has no rollouts at step ${step}`);
    }
    return toMetricsRow(metrics);
  }

  async ensembles(
    runId: string,
    steps: string | undefined,
    limit: number,
    after: string | undefined,
  ): Promise<EnsemblesView> {
    await this.requireRun(runId);
    let range: [number, number] = [0, 2_147_483_647];
    if (steps !== undefined) {
      const parsed = parseStepRange(steps);
      if (!parsed)
        throw invalidRequest([{ path: 'steps', message: 'steps must be a range a-b with a <= b' }]);
      range = parsed;
    }
    const [from, to] = range;
    const [summary, items] = await Promise.all([
      this.queries.ensembleSummary(runId, from, to),
      this.queries.ensembleQuestions(runId, from, to, { limit, ...(after === undefined ? {} : { after }) }),
    ]);
    const last = items[items.length - 1];
    return {
      first_step: from,
      last_step: to,
      ...summary,
      items,
      nextAfter: items.length === limit && last ? last.question : null,
    };
  }

  async compare(runIds: readonly string[], metric: ComparableStepMetric): Promise<CompareView> {
    const ids = [...new Set(runIds.map((id) => id.toLowerCase()))];
    const found = await this.dataSource.query<{ id: string; name: string; kind: string; status: string }[]>(
      `SELECT id, name, kind, status FROM runs WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const missing = ids.filter((id) => !found.some((run) => run.id === id));
    if (missing.length > 0) throw apiError(404, `no run with id ${missing.join(', ')}`, { missing });
    const values = await this.queries.compare(ids, metric);
    const bySteps = new Map<number, Record<string, number | null>>();
    for (const { run_id, step, value } of values) {
      let row = bySteps.get(step);
      if (!row) {
        row = Object.fromEntries(ids.map((id) => [id, null]));
        bySteps.set(step, row);
      }
      row[run_id] = value;
    }
    return {
      metric,
      runs: ids.map((id) => found.find((run) => run.id === id)!),
      steps: [...bySteps.entries()].sort(([a], [b]) => a - b).map(([step, row]) => ({ step, values: row })),
    };
  }

  private async requireRun(runId: string): Promise<void> {
    if (!(await this.runs.findById(runId))) throw apiError(404, `run ${runId} not found`);
  }
}
