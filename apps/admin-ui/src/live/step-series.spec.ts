import { describe, expect, it } from 'vitest';

import type { StepMetrics } from '../api/types.js';
import { asStepRows, StepSeries } from './step-series.js';

const row = (step: number, n: number): StepMetrics => ({ step, n }) as StepMetrics;

describe('StepSeries', () => {
  it('keeps rows sent live during a full read over the read’s older copies', () => {
    const series = new StepSeries();
    series.applyLive([row(0, 10)]);
    series.beginRead();
    series.applyLive([row(1, 64)]);
    series.applyRead([row(0, 64), row(1, 32), row(2, 64)]);
    expect(series.sorted().map((r) => [r.step, r.n])).toEqual([
      [0, 64],
      [1, 64],
      [2, 64],
    ]);
  });

  it('merges live rows by step, in step order', () => {
    const series = new StepSeries();
    series.applyRead([row(0, 1), row(2, 1)]);
    series.applyLive([row(1, 5), row(2, 9)]);
    expect(series.sorted().map((r) => [r.step, r.n])).toEqual([
      [0, 1],
      [1, 5],
      [2, 9],
    ]);
  });

  it('refuses event data that is not an array of rows', () => {
    expect(() => asStepRows({ step: 1 })).toThrow(/array/);
    expect(asStepRows([row(3, 1), { nope: true }]).map((r) => r.step)).toEqual([3]);
  });
});
