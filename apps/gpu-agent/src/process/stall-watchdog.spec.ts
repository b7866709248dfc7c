import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { StallWatchdog } from './stall-watchdog.js';

describe('StallWatchdog', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires once after the timeout passes with no touch, and not while touched', () => {
    const onStall = vi.fn();
    const watchdog = new StallWatchdog(1_000, onStall);
    watchdog.start();
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(500);
      watchdog.touch();
    }
    expect(onStall).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_500);
    expect(onStall).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(onStall).toHaveBeenCalledTimes(1);
  });

  it('never fires once stopped', () => {
    const onStall = vi.fn();
    const watchdog = new StallWatchdog(1_000, onStall);
    watchdog.start();
    watchdog.stop();
    vi.advanceTimersByTime(10_000);
    expect(onStall).not.toHaveBeenCalled();
  });
});
