import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ChangeCollector } from './change-collector.js';

describe('ChangeCollector', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('collects a burst per run for one window, then says so once', () => {
    const due = vi.fn();
    const collector = new ChangeCollector(200, due);
    collector.stepChanged('a', 1);
    collector.stepChanged('a', 2);
    collector.stepChanged('a', 1);
    collector.runChanged('b', false);
    vi.advanceTimersByTime(199);
    expect(due).not.toHaveBeenCalled();
    collector.runChanged('a', false);
    vi.advanceTimersByTime(1); // the window does not slide: 200 ms after the first change
    expect(due).toHaveBeenCalledTimes(1);

    const batch = collector.take();
    expect(batch.get('a')).toEqual({ run: true, deleted: false, steps: new Set([1, 2]) });
    expect(batch.get('b')).toEqual({ run: true, deleted: false, steps: new Set() });
    expect(collector.size).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(due).toHaveBeenCalledTimes(1);
  });

  it('marks every step of resynced runs, and merges a failed batch back under newer changes', () => {
    const due = vi.fn();
    const collector = new ChangeCollector(200, due);
    collector.stepChanged('a', 1);
    collector.allChanged(['a', 'c']);
    collector.stepChanged('a', 5);
    const failed = collector.take();
    expect(failed.get('a')).toEqual({ run: true, deleted: false, steps: 'all' });

    collector.runChanged('b', true);
    collector.stepChanged('c', 9);
    collector.restore(new Map([['b', { run: false, deleted: false, steps: new Set([3]) }], ...failed]));
    collector.dueIn(1_000);
    vi.advanceTimersByTime(999);
    expect(due).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(due).toHaveBeenCalledTimes(1);
    const batch = collector.take();
    expect(batch.get('b')).toEqual({ run: true, deleted: true, steps: new Set([3]) });
    expect(batch.get('c')).toEqual({ run: true, deleted: false, steps: 'all' });
  });

  it('take() and clear() stop the window', () => {
    const due = vi.fn();
    const collector = new ChangeCollector(200, due);
    collector.runChanged('a', false);
    collector.clear();
    vi.advanceTimersByTime(500);
    expect(due).not.toHaveBeenCalled();
    expect(collector.size).toBe(0);
  });
});
