import { describe, expect, it } from 'vitest';

import { chunks, latestValues } from './latest-metrics.js';

describe('latest metrics of the runs list', () => {
  it("takes each run's last step with a value", () => {
    const latest = latestValues({
      metric: 'ece',
      runs: [],
      steps: [
        { step: 0, values: { a: 0.2, b: 0.3 } },
        { step: 1, values: { a: 0.1, b: null } },
      ],
    });
    expect(Object.fromEntries(latest)).toEqual({ a: { step: 1, value: 0.1 }, b: { step: 0, value: 0.3 } });
  });

  it('splits ids into requests of at most 20', () => {
    expect(chunks([...Array(45).keys()], 20).map((c) => c.length)).toEqual([20, 20, 5]);
  });
});
