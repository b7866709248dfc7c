import { ApiUnavailableError } from './api-errors.js';

export interface BackoffOptions {
  /** First retry after about this long (default 500 ms); doubles per try. */
  baseDelayMs?: number;
  /** Longest wait between tries, Retry-After aside (default 10 s). */
  maxDelayMs?: number;
}

export interface RetryOptions extends BackoffOptions {
  /** Stop waiting when aborted: rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Give up this many ms after the call (Infinity: until acknowledged or aborted). */
  deadlineMs: number;
  /** Told about every retry before its wait (for a warning, a metric). */
  onRetry?: (error: ApiUnavailableError, tries: number, delayMs: number) => void;
}

export const DEFAULT_BASE_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 10_000;

/**
 * The wait before retry number `tries` (1-based): exponential with "equal jitter" (half fixed, half
 * random) so agents that lost the API together do not come back in lockstep.
 */
export function backoffDelayMs(tries: number, options: BackoffOptions = {}, random = Math.random): number {
  const base = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const max = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const ceiling = Math.min(max, base * 2 ** Math.min(tries - 1, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}

/**
 * `fn()` until it does not fail with ApiUnavailableError: other errors (409, 404, 400, bugs) go
 * straight to the caller. Waits with backoff between tries, at least the answer's Retry-After.
 * Gives up with the last error when the next try would start after the deadline.
 */
export async function retryWhileUnavailable<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const giveUpAt = Date.now() + options.deadlineMs;
  for (let tries = 1; ; tries++) {
    options.signal?.throwIfAborted();
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof ApiUnavailableError)) throw error;
      const delay = Math.max(error.retryAfterMs ?? 0, backoffDelayMs(tries, options));
      if (Date.now() + delay > giveUpAt) throw error;
      options.onRetry?.(error, tries, delay);
      await sleep(delay, options.signal);
    }
  }
}

/** setTimeout as a promise that an AbortSignal cuts short (rejecting with its reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    // setTimeout fires at once past 2^31 - 1 ms (a silly Retry-After): cap it.
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(ms, 2 ** 31 - 1),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
