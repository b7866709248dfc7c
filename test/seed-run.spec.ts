import { summarizeRollouts, type ScoredRollout } from '@brier/calibration';
import { readMetricsCsv } from '@brier/results';
import { beforeAll, describe, expect, it } from 'vitest';

// docs/seed-spec.md §5: the seed's per-step numbers, computed from its own 51,200 rows.
const SPEC_TABLE: Record<number, [reward: number, brier: number, ece: number, accuracy: number]> = {
  0: [0.368811, 0.169915, 0.138389, 0.804688],
  1: [0.335444, 0.205008, 0.175195, 0.767578],
  9: [0.865877, 0.125425, 0.044854, 0.844727],
  10: [0.664302, 0.175213, 0.07585, 0.764648],
  11: [0.365541, 0.165185, 0.037197, 0.78125],
  12: [0.272611, 0.204325, 0.091768, 0.713867],
  13: [0.447334, 0.191355, 0.08375, 0.751953],
  15: [0.804973, 0.146816, 0.027881, 0.822266],
  47: [0.860943, 0.137838, 0.034639, 0.835938],
  48: [0.865927, 0.127781, 0.035195, 0.850586],
  49: [0.910235, 0.088665, 0.040176, 0.901367],
};
const FULL_PRECISION = {
  0: { reward: 0.3688109115600598, brier: 0.16991494140624988, ece: 0.1383886718749989, accuracy: 0.8046875 },
  49: {
    reward: 0.910234506988523,
    brier: 0.08866542968749969,
    ece: 0.04017578124999965,
    accuracy: 0.9013671875,
  },
};

const steps = new Map<number, ScoredRollout[]>();

beforeAll(async () => {
  const path = new URL('../examples/seed-run/calibration_metrics.csv', import.meta.url).pathname;
  for await (const row of readMetricsCsv(path)) {
    const rows = steps.get(row.step) ?? [];
    rows.push(row);
    steps.set(row.step, rows);
  }
});

describe("the seed's published run, recomputed from its 51,200 rows", () => {
  it('has 50 steps of 1,024 rollouts', () => {
    expect([...steps.keys()]).toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (const rows of steps.values()) expect(rows).toHaveLength(1024);
  });

  it.each(Object.entries(SPEC_TABLE))('step %s matches seed-spec §5 to 6 decimals', (step, expected) => {
    const m = summarizeRollouts(steps.get(Number(step))!);
    expect([m.reward!, m.brier, m.ece, m.accuracy].map((v) => v.toFixed(6))).toEqual(
      expected.map((v) => v.toFixed(6)),
    );
  });

  it.each(Object.entries(FULL_PRECISION))(
    'step %s matches the full-precision values to 1e-9',
    (step, expected) => {
      const m = summarizeRollouts(steps.get(Number(step))!);
      expect(Math.abs(m.reward! - expected.reward)).toBeLessThan(1e-9);
      expect(Math.abs(m.brier - expected.brier)).toBeLessThan(1e-9);
      expect(Math.abs(m.ece - expected.ece)).toBeLessThan(1e-9);
      expect(m.accuracy).toBe(expected.accuracy);
    },
  );

  it('shows the collapse at steps 10–12 in reward and length penalty, not in calibration', () => {
    const at = (s: number) => summarizeRollouts(steps.get(s)!);
    expect(at(9).reward!).toBeGreaterThan(0.85);
    expect(at(12).reward!).toBeLessThan(0.3);
    expect(at(12).ece).toBeLessThan(0.1);
    const fullyPenalised = (s: number) => steps.get(s)!.filter((r) => r.reward === -1).length;
    expect([10, 11, 12].map(fullyPenalised)).toEqual([7, 54, 63]);
  });

  it('satisfies the Murphy identity on every step', () => {
    for (const rows of steps.values()) {
      const m = summarizeRollouts(rows);
      expect(m.brier_reliability - m.brier_resolution + m.brier_uncertainty).toBeCloseTo(m.brier, 12);
    }
  });
});
