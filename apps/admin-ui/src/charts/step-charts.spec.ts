import { describe, expect, it } from 'vitest';

import type { StepMetrics } from '../api/types.js';
import { curvePoints, describeCurve, presentSeries, rewardDips, STEP_CHARTS } from './step-charts.js';

/** The seed's per-step trainer reward (brier analyze examples/seed-run, steps 0–19). */
const SEED_REWARDS = [
  0.3688, 0.3354, 0.4241, 0.5039, 0.5723, 0.7099, 0.8136, 0.8355, 0.8343, 0.8659, 0.6643, 0.3655, 0.2726,
  0.4473, 0.6629, 0.805, 0.8262, 0.8125, 0.8434, 0.8531,
];

function row(step: number, values: Partial<StepMetrics> = {}): StepMetrics {
  return {
    step,
    n: 1024,
    parse_rate: 1,
    reward: 0.5,
    brier: 0.2,
    ece: 0.1,
    ece_top_label: 0.1,
    mce: 0.2,
    accuracy: 0.8,
    mean_length: null,
    penalized_share: 0,
    orchestrator_reward: null,
    orchestrator_seq_len: null,
    reward_brier: null,
    attempt: 1,
    ...values,
  };
}

describe('rewardDips', () => {
  it("finds the seed's collapse: steps 10–14, lowest 0.2726 at step 12", () => {
    const rows = SEED_REWARDS.map((reward, step) => row(step, { reward }));
    expect(rewardDips(rows)).toEqual([{ from: 10, to: 14, low: 0.2726, lowStep: 12 }]);
  });

  it('finds none in a rising run, and splits dips separated by a recovery or a gap', () => {
    expect(rewardDips(SEED_REWARDS.slice(0, 10).map((reward, step) => row(step, { reward })))).toEqual([]);
    const rows = [0.8, 0.8, 0.5, 0.8, 0.8, 0.5].map((reward, step) => row(step, { reward }));
    expect(rewardDips(rows).map((d) => [d.from, d.to])).toEqual([
      [2, 2],
      [5, 5],
    ]);
    const gap = [row(0, { reward: 0.9 }), row(1, { reward: 0.5 }), row(3, { reward: 0.5 })];
    expect(rewardDips(gap).map((d) => [d.from, d.to])).toEqual([
      [1, 1],
      [3, 3],
    ]);
  });
});

describe('curvePoints', () => {
  const reward = STEP_CHARTS.find((chart) => chart.id === 'reward')!;

  it('gives one point per step and line, 1 − Brier derived, unknown values left out', () => {
    const points = curvePoints(
      [row(0, { reward: 0.3, brier: 0.25 }), row(1, { reward: null, brier: 0.1 })],
      reward,
    );
    expect(points).toEqual([
      { step: 0, series: 'trainer reward', value: 0.3 },
      { step: 0, series: '1 − Brier', value: 0.75 },
      { step: 1, series: '1 − Brier', value: 0.9 },
    ]);
    expect(presentSeries(points, reward).map((s) => s.label)).toEqual(['trainer reward', '1 − Brier']);
  });

  it('describes a chart for screen readers with its first, last, lowest and highest values', () => {
    const rows = SEED_REWARDS.map((value, step) => row(step, { reward: value, brier: 0.2 }));
    const text = describeCurve(curvePoints(rows, reward), reward);
    expect(text).toContain(
      'trainer reward: from 0.3688 at step 0 to 0.8531 at step 19, lowest 0.2726 at step 12',
    );
  });
});
