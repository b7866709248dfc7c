import { describe, expect, it } from 'vitest';

import { StepTracker } from './step-tracker.js';

describe('StepTracker', () => {
  it('hands out steps in order once all their rollouts are settled', () => {
    const tracker = new StepTracker(10, 2);
    for (const [index, step] of [
      [0, 10],
      [1, 10],
      [2, 11],
      [3, 11],
    ] as const) {
      expect(tracker.receive(index, step)).toBe(true);
    }
    expect(tracker.isComplete(10)).toBe(true);
    tracker.settle(11, 2); // step 11 first: it must wait for 10
    expect(tracker.takeStored()).toEqual([]);
    tracker.settle(10, 1);
    expect(tracker.takeStored()).toEqual([]);
    tracker.settle(10, 1);
    expect(tracker.takeStored()).toEqual([10, 11]);
    expect(tracker.takeStored()).toEqual([]);
  });

  it('recognises a line received twice, also after its step is done', () => {
    const tracker = new StepTracker(0, 2);
    expect(tracker.receive(0, 0)).toBe(true);
    expect(tracker.receive(0, 0)).toBe(false);
    expect(tracker.receive(1, 0)).toBe(true);
    tracker.settle(0, 2);
    expect(tracker.takeStored()).toEqual([0]);
    expect(tracker.receive(1, 0)).toBe(false);
  });

  it('refuses a batch size that is not a positive integer', () => {
    expect(() => new StepTracker(0, 0)).toThrow('batchSize must be a positive integer');
  });
});
