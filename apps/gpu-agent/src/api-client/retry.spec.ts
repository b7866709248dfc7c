import { describe, expect, it } from 'vitest';

import { ApiConflictError, ApiRejectedError, ApiUnavailableError } from './api-errors.js';
import { backoffDelayMs, retryWhileUnavailable } from './retry.js';

const where = { method: 'POST', path: '/v1/x', status: 503 };
const unavailable = (retryAfterMs: number | null = null) =>
  new ApiUnavailableError('down', where, retryAfterMs);

/** fn that fails with the given errors in turn, then answers 'ok'; counts its calls. */
function failing(...errors: Error[]) {
  const calls: number[] = [];
  return {
    calls,
    fn: () => {
      calls.push(Date.now());
      const error = errors[calls.length - 1];
      return error === undefined ? Promise.resolve('ok') : Promise.reject(error);
    },
  };
}

describe('backoffDelayMs', () => {
  it('doubles from the base up to the maximum, half of it jittered', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelayMs(1, options, () => 0)).toBe(50);
    expect(backoffDelayMs(1, options, () => 1)).toBe(100);
    expect(backoffDelayMs(3, options, () => 1)).toBe(400);
    expect(backoffDelayMs(30, options, () => 1)).toBe(1000);
    expect(backoffDelayMs(30, options, () => 0)).toBe(500);
  });
});

describe('retryWhileUnavailable', () => {
  it('retries an unavailable API until it answers', async () => {
    const { fn, calls } = failing(unavailable(), unavailable());
    const retries: number[] = [];
    const answer = await retryWhileUnavailable(fn, {
      deadlineMs: 5_000,
      baseDelayMs: 5,
      maxDelayMs: 10,
      onRetry: (_error, tries) => retries.push(tries),
    });
    expect(answer).toBe('ok');
    expect(calls).toHaveLength(3);
    expect(retries).toEqual([1, 2]);
  });

  it('never retries a rejected request or a conflict', async () => {
    for (const error of [
      new ApiRejectedError('bad', { ...where, status: 400 }, []),
      new ApiConflictError('gone', { ...where, status: 409, body: { reason: 'lease-lost' } }),
    ]) {
      const { fn, calls } = failing(error);
      await expect(retryWhileUnavailable(fn, { deadlineMs: 5_000, baseDelayMs: 1 })).rejects.toBe(error);
      expect(calls).toHaveLength(1);
    }
  });

  it('waits at least the Retry-After the API asked for', async () => {
    const { fn, calls } = failing(unavailable(150));
    await retryWhileUnavailable(fn, { deadlineMs: 5_000, baseDelayMs: 1, maxDelayMs: 1 });
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(145);
  });

  it('gives up with the last error when the next try would start after the deadline', async () => {
    const last = unavailable();
    const { fn, calls } = failing(unavailable(), unavailable(), last, unavailable());
    const started = Date.now();
    await expect(
      retryWhileUnavailable(fn, { deadlineMs: 120, baseDelayMs: 40, maxDelayMs: 80 }),
    ).rejects.toBeInstanceOf(ApiUnavailableError);
    expect(Date.now() - started).toBeLessThan(400);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.length).toBeLessThanOrEqual(4);
  });

  it('stops waiting when its signal aborts', async () => {
    const controller = new AbortController();
    const { fn } = failing(unavailable(), unavailable(), unavailable());
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 30);
    await expect(
      retryWhileUnavailable(fn, {
        deadlineMs: Number.POSITIVE_INFINITY,
        baseDelayMs: 10_000,
        signal: controller.signal,
      }),
    ).rejects.toBe(reason);
  });
});
