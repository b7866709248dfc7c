import { describe, expect, it } from 'vitest';

import type { RunView } from '../../api/types.js';
import { filtersFromQuery, mergeRun } from './run-filters.js';

const run = (id: string, status: RunView['status'], updatedAt = '2026-01-01T00:00:00Z', name = id): RunView =>
  ({ id, status, kind: 'train', name, updatedAt }) as RunView;

describe('the runs list under live events', () => {
  const all = filtersFromQuery(new URLSearchParams());
  const running = filtersFromQuery(new URLSearchParams('status=running'));

  it('reads the filters from the page query, ignoring unknown values', () => {
    expect(filtersFromQuery(new URLSearchParams('status=running&kind=bogus&q=seed'))).toEqual({
      status: 'running',
      kind: '',
      q: 'seed',
    });
  });

  it('replaces a listed run, adds a new matching one on top, drops one that no longer matches', () => {
    const list = [run('a', 'running'), run('b', 'queued')];
    expect(mergeRun(list, run('b', 'running', '2026-01-01T00:00:01Z'), all).map((r) => r.status)).toEqual([
      'running',
      'running',
    ]);
    expect(mergeRun(list, run('c', 'queued'), all).map((r) => r.id)).toEqual(['c', 'a', 'b']);
    expect(mergeRun([run('a', 'running')], run('a', 'succeeded', '2026-01-01T00:00:01Z'), running)).toEqual(
      [],
    );
    expect(mergeRun([run('a', 'running')], run('z', 'queued'), running).map((r) => r.id)).toEqual(['a']);
  });

  it('ignores an event older than the run shown', () => {
    const list = [run('a', 'running', '2026-01-01T00:00:05Z')];
    expect(mergeRun(list, run('a', 'queued', '2026-01-01T00:00:01Z'), all)[0]!.status).toBe('running');
  });
});
