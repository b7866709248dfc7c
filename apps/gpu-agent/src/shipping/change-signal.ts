const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Wakes whoever waits for a shipper's state to change (a line pushed, a batch acknowledged), so
 * loops and flushes never poll; every wait still has a deadline.
 */
export class ChangeSignal {
  private waiters = new Set<() => void>();

  notify(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Resolves at the next notify(), after `timeoutMs`, or when `signal` aborts, whichever is first. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      // setTimeout fires at once past 2^31 - 1 ms: longer waits are capped (callers loop anyway).
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(done, Math.min(MAX_TIMER_MS, Math.max(0, timeoutMs)))
        : undefined;
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  /** True once `condition()` holds, false if it still does not `timeoutMs` from now. */
  async until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    const giveUpAt = Date.now() + timeoutMs;
    for (;;) {
      if (condition()) return true;
      const left = giveUpAt - Date.now();
      if (left <= 0) return false;
      await this.wait(left);
    }
  }
}
