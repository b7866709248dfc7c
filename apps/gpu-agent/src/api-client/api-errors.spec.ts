import { describe, expect, it } from 'vitest';

import {
  ApiAuthError,
  ApiConflictError,
  ApiNotFoundError,
  ApiRejectedError,
  ApiUnavailableError,
  errorFromFailure,
  errorFromResponse,
  isLeaseLoss,
  parseRetryAfter,
} from './api-errors.js';

const none = new Headers();

function answer(status: number, body: unknown, headers = none) {
  return errorFromResponse('POST', '/v1/runs/r/logs', status, headers, JSON.stringify(body));
}

describe('errorFromResponse', () => {
  it('maps a 409 to ApiConflictError with its reason and the run status', () => {
    const error = answer(409, {
      statusCode: 409,
      message: 'lease over',
      reason: 'lease-lost',
      status: 'lost',
    });
    expect(error).toBeInstanceOf(ApiConflictError);
    expect(error).toMatchObject({ reason: 'lease-lost', runStatus: 'lost', status: 409 });
    expect(error.message).toBe('POST /v1/runs/r/logs: 409 (lease-lost): lease over');
    expect(isLeaseLoss(error)).toBe(true);
    expect(isLeaseLoss(answer(409, { reason: 'placement' }))).toBe(false);
  });

  it('maps a 404 to ApiNotFoundError, which also means the lease is gone', () => {
    const error = answer(404, { statusCode: 404, message: 'run r not found' });
    expect(error).toBeInstanceOf(ApiNotFoundError);
    expect(isLeaseLoss(error)).toBe(true);
  });

  it('maps 401 and 403 to ApiAuthError: the agent may no longer write for any lease', () => {
    for (const status of [401, 403]) {
      const error = answer(status, { statusCode: status, message: 'the API token is unknown or revoked' });
      expect(error).toBeInstanceOf(ApiAuthError);
      expect(error).not.toBeInstanceOf(ApiRejectedError);
      expect(isLeaseLoss(error)).toBe(true);
    }
  });

  it("maps 400/413/415/422 to ApiRejectedError with the API's field messages in its message", () => {
    const error = answer(400, {
      statusCode: 400,
      message: [
        { path: 'firstSeq', message: 'firstSeq must not be less than 0' },
        { path: 'lines', message: 'lines must contain at least 1 elements' },
      ],
    });
    expect(error).toBeInstanceOf(ApiRejectedError);
    expect((error as ApiRejectedError).fieldMessages).toHaveLength(2);
    expect(error.message).toContain('firstSeq: firstSeq must not be less than 0; lines: lines must contain');
    for (const status of [413, 415, 422])
      expect(answer(status, { message: 'no' })).toBeInstanceOf(ApiRejectedError);
  });

  it('maps 5xx, 408 and 429 to ApiUnavailableError with Retry-After', () => {
    const error = answer(503, { message: 'database unavailable' }, new Headers({ 'retry-after': '3' }));
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect((error as ApiUnavailableError).retryAfterMs).toBe(3000);
    for (const status of [500, 502, 408, 429]) expect(answer(status, {})).toBeInstanceOf(ApiUnavailableError);
  });

  it('keeps a body that is not JSON as text', () => {
    const error = errorFromResponse('POST', '/p', 502, none, '<html>Bad gateway</html>');
    expect(error.message).toBe('POST /p: 502: <html>Bad gateway</html>');
  });
});

describe('errorFromFailure', () => {
  it('names the socket error or the timeout', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
    });
    expect(errorFromFailure('POST', '/p', refused, 100).message).toBe('POST /p: ECONNREFUSED');
    const timeout = new DOMException('timed out', 'TimeoutError');
    expect(errorFromFailure('POST', '/p', timeout, 100).message).toBe('POST /p: no answer within 100 ms');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('5')).toBe(5000);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
  });
});
