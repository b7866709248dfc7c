import { binEdges, SEED_BIN_COUNT } from '@brier/calibration';
import type { DataSource } from 'typeorm';

import { LOCK_RUN_EXCLUSIVE } from '../rollouts/rollout-ingest.sql.js';
import { isUuid } from '../uuid.js';
import {
  DELETE_STEP_AGGREGATES,
  REBUILD_STEP_AGGREGATES,
  RELIABILITY_BY_RUN,
  STEP_METRICS_BY_RUN,
  STEP_METRICS_FROM_ROLLOUTS,
} from './metrics.sql.js';

/**
 * One step's metrics (keys as libs/calibration's StepMetrics and the API's /metrics), computed from
 * the step's current (latest) attempt. Null where the source lacks the field for some rows.
 */
export interface RunStepMetrics {
  step: number;
  /** The attempt whose rollouts these are. */
  attempt: number;
  n: number;
  parse_rate: number | null;
  /** Mean reward as the environment / trainer computed it. */
  reward: number | null;
  /** Mean reward as libs/calibration recomputed it. */
  reward_brier: number | null;
  brier: number;
  ece: number;
  ece_top_label: number;
  mce: number;
  accuracy: number;
  mean_length: number | null;
  penalized_share: number | null;
  /** prime-rl's logged per-step reward (over what it trains on: not the mean of the rows). */
  orchestrator_reward: number | null;
  /** prime-rl's logged tokens per sample. */
  orchestrator_seq_len: number | null;
}

export interface ReliabilityBinStats {
  index: number;
  lo: number;
  hi: number;
  center: number;
  count: number;
  /** Mean P(YES) in the bin; null when empty. */
  mean_p: number | null;
  /** Observed fraction of YES labels; null when empty. */
  observed: number | null;
}

export interface ReliabilityGroup {
  /** Group g pools steps [g·size, (g+1)·size). */
  group: number;
  first_step: number;
  last_step: number;
  /** Steps of the group that have rollouts. */
  steps: number;
  n: number;
  bins: ReliabilityBinStats[];
}

type MetricsRow = RunStepMetrics & { run_id: string };

function toStepMetrics({ run_id: _runId, ...row }: MetricsRow): RunStepMetrics {
  return row;
}

/** A row of RELIABILITY_BY_RUN: one bin of one group of steps. */
export interface ReliabilityRow {
  group: number;
  steps: number;
  n: number;
  bin: number;
  count: number;
  mean_p: number | null;
  observed: number | null;
}

/** Fold RELIABILITY_BY_RUN rows into groups with exact bin edges (shared by both metrics repositories). */
export function groupReliabilityRows(rows: readonly ReliabilityRow[], groupSize: number): ReliabilityGroup[] {
  const edges = binEdges(SEED_BIN_COUNT);
  const groups = new Map<number, ReliabilityGroup>();
  for (const row of rows) {
    let group = groups.get(row.group);
    if (!group) {
      group = {
        group: row.group,
        first_step: row.group * groupSize,
        last_step: row.group * groupSize + groupSize - 1,
        steps: row.steps,
        n: row.n,
        bins: [],
      };
      groups.set(row.group, group);
    }
    const { lo, hi, center } = edges[row.bin]!;
    group.bins.push({
      index: row.bin,
      lo,
      hi,
      center,
      count: row.count,
      mean_p: row.mean_p,
      observed: row.observed,
    });
  }
  return [...groups.values()];
}

export class MetricsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Per-step metrics from step_aggregates only (never scans rollouts). */
  async stepMetrics(runId: string): Promise<RunStepMetrics[]> {
    if (!isUuid(runId)) return [];
    const rows = await this.dataSource.query<MetricsRow[]>(STEP_METRICS_BY_RUN, [runId]);
    return rows.map(toStepMetrics);
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
    const rows = await this.dataSource.query<ReliabilityRow[]>(RELIABILITY_BY_RUN, [runId, groupSize]);
    return groupReliabilityRows(rows, groupSize);
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
}
