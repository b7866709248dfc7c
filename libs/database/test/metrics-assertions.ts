import { reliabilityBins, summarizeRollouts, type ScoredRollout } from '@brier/calibration';
import { expect } from 'vitest';

import type { ReliabilityGroup, RunStepMetrics } from '../src/metrics/metrics.repository.js';

export const METRIC_KEYS = [
  'n',
  'parse_rate',
  'reward',
  'brier',
  'ece',
  'ece_top_label',
  'mce',
  'accuracy',
  'mean_length',
  'penalized_share',
] as const;

function close(actual: number | null, expected: number | null, label: string, tolerance: number): void {
  if (expected === null || Number.isNaN(expected)) {
    expect(actual, label).toBeNull();
    return;
  }
  expect(actual, label).not.toBeNull();
  expect(Math.abs(actual! - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

/** Every metric of every step equals summarizeRollouts on the same rows, to `tolerance`. */
export function expectStepMetricsEqual(
  actual: readonly RunStepMetrics[],
  rowsByStep: ReadonlyMap<number, readonly ScoredRollout[]>,
  tolerance = 1e-9,
): void {
  expect(actual.map((m) => m.step)).toEqual([...rowsByStep.keys()].sort((a, b) => a - b));
  for (const metrics of actual) {
    const expected = summarizeRollouts(rowsByStep.get(metrics.step)!);
    for (const key of METRIC_KEYS)
      close(metrics[key], expected[key], `step ${metrics.step} ${key}`, tolerance);
  }
}

/** Reliability groups equal reliabilityBins pooled over each group of steps. */
export function expectReliabilityEqual(
  actual: readonly ReliabilityGroup[],
  rowsByStep: ReadonlyMap<number, readonly ScoredRollout[]>,
  groupSize: number,
  tolerance = 1e-9,
): void {
  const pooled = new Map<number, ScoredRollout[]>();
  for (const [step, rows] of rowsByStep) {
    const group = Math.floor(step / groupSize);
    pooled.set(group, [...(pooled.get(group) ?? []), ...rows]);
  }
  expect(actual.map((g) => g.group)).toEqual([...pooled.keys()].sort((a, b) => a - b));
  for (const group of actual) {
    const expected = reliabilityBins(pooled.get(group.group)!);
    expect(group.n).toBe(pooled.get(group.group)!.length);
    expect(group.bins).toHaveLength(10);
    group.bins.forEach((bin, k) => {
      const want = expected[k]!;
      const label = `group ${group.group} bin ${k}`;
      expect(
        { index: bin.index, lo: bin.lo, hi: bin.hi, center: bin.center, count: bin.count },
        label,
      ).toEqual({
        index: want.index,
        lo: want.lo,
        hi: want.hi,
        center: want.center,
        count: want.count,
      });
      close(bin.mean_p, want.meanP, `${label} mean_p`, tolerance);
      close(bin.observed, want.observed, `${label} observed`, tolerance);
    });
  }
}

export function groupByStep<T extends { step: number }, S>(
  rows: readonly T[],
  map: (row: T) => S,
): Map<number, S[]> {
  const byStep = new Map<number, S[]>();
  for (const row of rows) {
    const list = byStep.get(row.step) ?? [];
    list.push(map(row));
    byStep.set(row.step, list);
  }
  return byStep;
}
