import { useState } from 'preact/hooks';

import { callApi } from '../../api/client.js';
import { API_ROUTES } from '../../api/routes.js';
import type { ComparableMetric } from '../../api/types.js';
import { CompareChart } from '../../charts/compare-chart.js';
import { runHref } from '../../router/location.js';
import { replaceQuery } from '../../router/use-page.js';
import { ErrorNote } from '../../ui/error-note.js';
import { StatusBadge } from '../../ui/status-badge.js';
import { useAsync } from '../../ui/use-async.js';
import { useTitle } from '../../ui/use-title.js';

/** What the compare page can overlay, with the charts' names. */
const METRICS: readonly { metric: ComparableMetric; title: string }[] = [
  { metric: 'reward', title: 'Trainer reward' },
  { metric: 'brier', title: 'Brier score' },
  { metric: 'ece', title: 'ECE (10 bins)' },
  { metric: 'accuracy', title: 'Accuracy' },
  { metric: 'parse_rate', title: 'Parse rate' },
  { metric: 'mean_length', title: 'Mean completion length (characters / 4)' },
  { metric: 'orchestrator_reward', title: 'prime-rl logged reward' },
  { metric: 'penalized_share', title: 'Share of length-penalised rollouts' },
];
const DEFAULT_METRICS = ['reward', 'brier', 'ece', 'accuracy'];
/** The API compares at most 20 runs. */
const MAX_RUNS = 20;

function MetricChart({
  ids,
  metric,
  title,
}: {
  ids: readonly string[];
  metric: ComparableMetric;
  title: string;
}) {
  const view = useAsync(
    (signal) => callApi(API_ROUTES.compare, { query: { runs: ids, metric }, signal }),
    [ids.join(','), metric],
  );
  return (
    <>
      <ErrorNote error={view.error} what={title} />
      {view.data && <CompareChart view={view.data} title={title} />}
    </>
  );
}

/** Two or more runs overlaid on the same charts; the runs and metrics live in the page's query. */
export function ComparePage({ query }: { query: URLSearchParams }) {
  useTitle('Compare runs');
  const ids = (query.get('runs') ?? '').split(',').filter((id) => id !== '');
  const metrics = (query.get('metrics') ?? DEFAULT_METRICS.join(',')).split(',');
  const [search, setSearch] = useState('');
  const candidates = useAsync(
    (signal) => callApi(API_ROUTES.listRuns, { query: { limit: 100, name: search || undefined }, signal }),
    [search],
  );

  const save = (nextIds: readonly string[], nextMetrics: readonly string[]): void =>
    replaceQuery('compare', { runs: nextIds.join(','), metrics: nextMetrics.join(',') });
  const toggleRun = (id: string): void =>
    save(ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id].slice(0, MAX_RUNS), metrics);
  const toggleMetric = (metric: string): void =>
    save(ids, metrics.includes(metric) ? metrics.filter((m) => m !== metric) : [...metrics, metric]);

  return (
    <section aria-labelledby="compare-title">
      <div class="page-head">
        <h1 id="compare-title">Compare runs</h1>
      </div>
      <div class="compare-layout">
        <fieldset class="run-picker">
          <legend>
            Runs ({ids.length} of at most {MAX_RUNS})
          </legend>
          <label>
            Search <input type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
          </label>
          <ErrorNote error={candidates.error} what="the runs" />
          <ul class="plain" data-testid="compare-candidates">
            {(candidates.data?.items ?? []).map((run) => (
              <li key={run.id}>
                <label>
                  <input type="checkbox" checked={ids.includes(run.id)} onChange={() => toggleRun(run.id)} />{' '}
                  {run.name} <StatusBadge status={run.status} />
                </label>{' '}
                <a href={runHref(run.id)} aria-label={`Open ${run.name}`}>
                  ↗
                </a>
              </li>
            ))}
          </ul>
        </fieldset>
        <div>
          <fieldset class="metric-picker">
            <legend>Metrics</legend>
            {METRICS.map(({ metric, title }) => (
              <label key={metric}>
                <input
                  type="checkbox"
                  checked={metrics.includes(metric)}
                  onChange={() => toggleMetric(metric)}
                />{' '}
                {title}
              </label>
            ))}
          </fieldset>
          {ids.length === 0 ? (
            <p class="muted">Pick runs on the left (two or more to overlay them).</p>
          ) : (
            <div class="chart-grid wide" data-testid="compare-charts">
              {METRICS.filter(({ metric }) => metrics.includes(metric)).map(({ metric, title }) => (
                <MetricChart key={metric} ids={ids} metric={metric} title={title} />
              ))}
            </div>
          )}
        </div>
      </div>
    </section>
  );
}
