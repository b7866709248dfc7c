import { useEffect, useMemo, useState } from 'preact/hooks';

import { callApi } from '../../api/client.js';
import { API_ROUTES } from '../../api/routes.js';
import { RUN_KINDS, RUN_STATUSES, type AgentView } from '../../api/types.js';
import { href } from '../../router/location.js';
import { replaceQuery } from '../../router/use-page.js';
import { ErrorNote } from '../../ui/error-note.js';
import { LiveBadge } from '../../ui/live-badge.js';
import { useAsync } from '../../ui/use-async.js';
import { useNow } from '../../ui/use-now.js';
import { useTitle } from '../../ui/use-title.js';
import { filtersFromQuery, type RunFilters } from './run-filters.js';
import { RunsTable } from './runs-table.js';
import { useLatestMetrics } from './use-latest-metrics.js';
import { useRunsList } from './use-runs-list.js';
import { maySubmit } from '../../session/session.js';
import { useSession } from '../../session/session-context.js';

/** Search waits for the typing to pause before asking the API. */
const SEARCH_DELAY_MS = 300;

/** The runs list: filters, live rows, latest reward and ECE, cancel and retry, compare. */
export function RunsPage({ query }: { query: URLSearchParams }) {
  useTitle('Runs');
  const session = useSession();
  const filters = filtersFromQuery(query);
  const list = useRunsList(filters);
  const { latest, error: latestError } = useLatestMetrics(list.runs);
  const agents = useAsync((signal) => callApi(API_ROUTES.agents, { signal }), []);
  const agentsById = useMemo(
    () => new Map<string, AgentView>((agents.data ?? []).map((agent) => [agent.id, agent])),
    [agents.data],
  );
  const now = useNow();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [search, setSearch] = useState(filters.q);

  const setFilters = (next: Partial<RunFilters>): void => {
    const merged = { ...filters, ...next };
    replaceQuery('runs', { status: merged.status, kind: merged.kind, q: merged.q });
  };
  useEffect(() => {
    if (search === filters.q) return undefined;
    const timer = setTimeout(() => setFilters({ q: search }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search]);

  const toggle = (id: string): void =>
    setSelected((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <section aria-labelledby="runs-title">
      <div class="page-head">
        <h1 id="runs-title">Runs</h1>
        <LiveBadge live={list.live} what="runs list" />
        <span class="spacer" />
        {selected.size > 0 && (
          <a class="button" href={href('compare', { runs: [...selected].join(',') })}>
            Compare {selected.size} selected
          </a>
        )}
        {maySubmit(session) && (
          <a class="button primary" href={href('submit')}>
            Submit a run
          </a>
        )}
      </div>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search names{' '}
          <input
            type="search"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
            placeholder="seed"
          />
        </label>
        <label>
          Status{' '}
          <select
            value={filters.status}
            onChange={(e) => setFilters({ status: e.currentTarget.value as RunFilters['status'] })}
          >
            <option value="">any</option>
            {RUN_STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        <label>
          Kind{' '}
          <select
            value={filters.kind}
            onChange={(e) => setFilters({ kind: e.currentTarget.value as RunFilters['kind'] })}
          >
            <option value="">any</option>
            {RUN_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {kind}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={list.error} what="the runs" />
      <ErrorNote error={latestError} what="the latest metrics" />
      {list.runs.length === 0 && !list.loading && !list.error && <p class="muted">No runs match.</p>}
      {list.runs.length > 0 && (
        <RunsTable
          runs={list.runs}
          latest={latest}
          agents={agentsById}
          now={now}
          selected={selected}
          onToggle={toggle}
          onChanged={list.update}
        />
      )}
      {list.loading && <p class="muted">Loading…</p>}
      {list.hasMore && !list.loading && (
        <button type="button" onClick={list.loadMore}>
          Load more runs
        </button>
      )}
    </section>
  );
}
