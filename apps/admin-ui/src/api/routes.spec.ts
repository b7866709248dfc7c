import { describe, expect, it } from 'vitest';

import { toApiError } from './client.js';
import { API_ROUTES, routeUrl } from './routes.js';

describe('routeUrl', () => {
  it('fills path parameters (encoded) and writes the query the API reads', () => {
    expect(routeUrl(API_ROUTES.samples, { id: 'a/b' }, { step: 0, filter: 'random', n: undefined })).toBe(
      '/v1/runs/a%2Fb/samples?step=0&filter=random',
    );
    expect(routeUrl(API_ROUTES.compare, {}, { runs: ['x', 'y'], metric: 'ece' })).toBe(
      '/v1/compare?runs=x%2Cy&metric=ece',
    );
    expect(routeUrl(API_ROUTES.listRuns, {}, { status: [], name: null })).toBe('/v1/runs');
    expect(() => routeUrl(API_ROUTES.getRun)).toThrow(/missing parameter id/);
  });
});

describe('toApiError', () => {
  it("keeps a 400's field messages and says them in one sentence", () => {
    const error = toApiError(400, 'Bad Request', {
      statusCode: 400,
      message: [
        { path: 'spec.batchSize', message: 'must be divisible' },
        { path: '', message: 'body is odd' },
      ],
    });
    expect(error.fieldErrors).toHaveLength(2);
    expect(error.message).toBe('spec.batchSize: must be divisible; body is odd');
  });

  it("uses the API's sentence, else the status line", () => {
    expect(toApiError(409, 'Conflict', { message: 'run is succeeded' }).message).toBe('run is succeeded');
    expect(toApiError(502, 'Bad Gateway', null).message).toBe('502 Bad Gateway');
  });
});
