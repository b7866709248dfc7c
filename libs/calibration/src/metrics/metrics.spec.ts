import { describe, expect, it } from 'vitest';
import { binIndex } from './bins.js';
import { murphyDecomposition } from './brier-decomposition.js';
import { adaptiveEce, maxCalibrationError, positiveClassEce, topLabelEce } from './calibration-error.js';
import { accuracy, brierScore, type Prediction } from './prediction.js';
import { reliabilityBins } from './reliability.js';
import { summarizeRollouts, type ScoredRollout } from './step-metrics.js';

// Worked by hand: (p, label) = (0.9, 1), (0.9, 0), (0.1, 0), (0.5, 1).
const FOUR: Prediction[] = [
  { pYes: 0.9, label: 1 },
  { pYes: 0.9, label: 0 },
  { pYes: 0.1, label: 0 },
  { pYes: 0.5, label: 1 },
];

describe('bins', () => {
  it('uses exact k/10 edges, the last bin closed', () => {
    expect([0, 0.1, 0.2, 0.3, 0.6, 0.7, 0.99, 1].map((p) => binIndex(p, 10))).toEqual([
      0, 1, 2, 3, 6, 7, 9, 9,
    ]);
    expect(binIndex(0.09999999999999998, 10)).toBe(0); // NO 90%
    expect(binIndex(1 - 0.7, 10)).toBe(3); // 0.30000000000000004
    expect(binIndex(0.7 - 0.4, 10)).toBe(2); // 0.29999999999999993
    expect([-0.01, 1.01, NaN].map((p) => binIndex(p, 10))).toEqual([null, null, null]);
  });

  it('counts and means per bin for the reliability diagram', () => {
    const bins = reliabilityBins(FOUR);
    expect(bins).toHaveLength(10);
    expect(bins[9]).toMatchObject({ count: 2, meanP: 0.9, observed: 0.5, center: 0.95 });
    expect(bins[1]).toMatchObject({ count: 1, meanP: 0.1, observed: 0 });
    expect(bins[5]).toMatchObject({ count: 1, meanP: 0.5, observed: 1 });
    expect(bins[0]).toMatchObject({ count: 0, meanP: null, observed: null, lo: 0, hi: 0.1 });
  });
});

describe('calibration errors, worked by hand', () => {
  it('positive-class ECE = 0.5·0.4 + 0.25·0.1 + 0.25·0.5', () => {
    expect(positiveClassEce(FOUR)).toBeCloseTo(0.35, 15);
  });

  it('top-label ECE = 0.75·|2/3 − 0.9| + 0.25·|0 − 0.5|', () => {
    expect(topLabelEce(FOUR)).toBeCloseTo(0.75 * Math.abs(2 / 3 - 0.9) + 0.125, 15);
  });

  it('MCE is the largest bin gap', () => {
    expect(maxCalibrationError(FOUR)).toBeCloseTo(0.5, 15);
  });

  it('equal-mass ECE with 2 bins = 0.5·|0.5 − 0.3| + 0.5·|0.5 − 0.9|', () => {
    expect(adaptiveEce(FOUR, 2)).toBeCloseTo(0.3, 15);
  });

  it('accuracy counts p = 0.5 as NO; Brier is the mean squared error', () => {
    expect(accuracy(FOUR)).toBe(0.5);
    expect(brierScore(FOUR)).toBeCloseTo(0.27, 15);
  });

  it('Murphy: reliability 0.145 − resolution 0.125 + uncertainty 0.25 = Brier 0.27', () => {
    const m = murphyDecomposition(FOUR);
    expect(m.reliability).toBeCloseTo(0.145, 15);
    expect(m.resolution).toBeCloseTo(0.125, 15);
    expect(m.uncertainty).toBe(0.25);
    expect(m.brier).toBeCloseTo(0.27, 15);
  });

  it('a perfectly calibrated forecaster has zero ECE', () => {
    const rows: Prediction[] = [];
    for (let i = 0; i < 10; i++) rows.push({ pYes: 0.7, label: i < 7 ? 1 : 0 });
    expect(positiveClassEce(rows)).toBeCloseTo(0, 15);
  });

  it('empty input gives NaN, never a misleading zero', () => {
    expect(positiveClassEce([])).toBeNaN();
    expect(topLabelEce([])).toBeNaN();
    expect(accuracy([])).toBeNaN();
  });
});

describe('summarizeRollouts', () => {
  const rollout = (over: Partial<ScoredRollout>): ScoredRollout => ({
    pYes: 0.9,
    label: 1,
    parseable: true,
    reward: 0.99,
    brier: 0.01,
    approxTokens: 200,
    lengthPenalty: 0,
    ...over,
  });

  it('counts unparseable answers and penalised lengths honestly', () => {
    const m = summarizeRollouts([
      rollout({}),
      rollout({
        parseable: false,
        pYes: 0.5,
        brier: 0.25,
        reward: -0.5,
        lengthPenalty: -0.5,
        approxTokens: 51.2,
      }),
    ]);
    expect(m.parse_rate).toBe(0.5);
    expect(m.penalized_share).toBe(0.5);
    expect(m.mean_length).toBeCloseTo(125.6, 12);
    expect(m.reward).toBeCloseTo(0.245, 15);
  });

  it('reports unknown rather than guessing when a source lacks a field', () => {
    const m = summarizeRollouts([rollout({ parseable: null, approxTokens: null, lengthPenalty: null })]);
    expect(m.parse_rate).toBeNull();
    expect(m.mean_length).toBeNull();
    expect(m.penalized_share).toBeNull();
  });
});
