import { describe, expect, it } from 'vitest';

import { href, parseHash, runHref } from './location.js';

describe('hash routes', () => {
  it('names the page of a hash, with its query', () => {
    expect(parseHash('')).toMatchObject({ name: 'runs' });
    expect(parseHash('#/runs?status=running').query.get('status')).toBe('running');
    expect(parseHash('#/runs/abc-1?step=12')).toMatchObject({ name: 'run', id: 'abc-1' });
    expect(parseHash('#/runs/abc-1?step=12').query.get('step')).toBe('12');
    expect(parseHash('#/agents')).toMatchObject({ name: 'agents' });
    expect(parseHash('#/nowhere/else')).toMatchObject({ name: 'not-found', path: '/nowhere/else' });
  });

  it('writes links that parse back', () => {
    expect(href('compare', { runs: 'a,b', metrics: undefined })).toBe('#/compare?runs=a%2Cb');
    expect(parseHash(href('compare', { runs: 'a,b' })).query.get('runs')).toBe('a,b');
    expect(runHref('x y')).toBe('#/runs/x%20y');
    expect(parseHash(runHref('x y'))).toMatchObject({ name: 'run', id: 'x y' });
  });
});
