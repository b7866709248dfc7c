import { useEffect, useState } from 'preact/hooks';

import { callApi } from '../../api/client.js';
import { API_ROUTES } from '../../api/routes.js';
import type { AgentView } from '../../api/types.js';
import { gib, progress } from '../../format/numbers.js';
import { duration } from '../../format/time.js';
import { runHref } from '../../router/location.js';
import { ErrorNote } from '../../ui/error-note.js';
import { StatusBadge } from '../../ui/status-badge.js';
import { useAsync } from '../../ui/use-async.js';
import { useNow } from '../../ui/use-now.js';
import { useTitle } from '../../ui/use-title.js';

/** bull-board, served by the API beside the panel. */
export const QUEUES_URL = '/admin/queues';

function AgentCard({ agent, readAt, now }: { agent: AgentView; readAt: number; now: number }) {
  const runs = new Map(agent.runs.map((run) => [run.runId, run]));
  return (
    <article class="agent" data-testid="agent" aria-labelledby={`agent-${agent.id}`}>
      <header class="page-head">
        <h2 id={`agent-${agent.id}`}>{agent.name}</h2>
        <StatusBadge status={agent.status} />
        <span class="muted" data-testid="heartbeat-age">
          heartbeat {duration(agent.heartbeatAgeMs + (now - readAt))} ago
        </span>
      </header>
      <dl class="facts">
        <div>
          <dt>host</dt>
          <dd>{agent.hostname}</dd>
        </div>
        <div>
          <dt>agent</dt>
          <dd>{agent.version}</dd>
        </div>
        <div>
          <dt>prime-rl</dt>
          <dd>{agent.primeRlVersion ?? '–'}</dd>
        </div>
        <div>
          <dt>labels</dt>
          <dd>
            {agent.labels.length === 0
              ? '–'
              : agent.labels.map((l) => (
                  <span key={l} class="tag">
                    {l}
                  </span>
                ))}
          </dd>
        </div>
      </dl>
      <div class="table-scroll">
        <table class="data stack-on-phone" data-testid="gpus">
          <caption>GPUs</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">model</th>
              <th scope="col">memory</th>
              <th scope="col">run</th>
            </tr>
          </thead>
          <tbody>
            {agent.gpus.map((gpu) => {
              const run = gpu.runId === null ? undefined : runs.get(gpu.runId);
              return (
                <tr key={gpu.uuid}>
                  <th scope="row" data-label="#">
                    {gpu.index}
                  </th>
                  <td data-label="model">{gpu.name}</td>
                  <td data-label="memory">
                    <meter min={0} max={gpu.memoryTotalMiB} value={gpu.memoryUsedMiB} aria-hidden="true" />{' '}
                    {gib(gpu.memoryUsedMiB)} / {gib(gpu.memoryTotalMiB)}
                  </td>
                  <td data-label="run">
                    {gpu.runId === null ? (
                      <span class="muted">free</span>
                    ) : (
                      <a href={runHref(gpu.runId)}>{run?.name ?? gpu.runId.slice(0, 8)}</a>
                    )}
                    {run && <span class="muted"> step {progress(run.progressStep, run.maxSteps)}</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </article>
  );
}

function QueueCounts() {
  const summary = useAsync((signal) => callApi(API_ROUTES.queueSummary, { signal }), []);
  return (
    <section aria-labelledby="queue-title" class="panel-box">
      <div class="section-head">
        <h2 id="queue-title">Queue</h2>
        <a class="button" href={QUEUES_URL}>
          Open the queues (bull-board)
        </a>
      </div>
      <ErrorNote error={summary.error} what="the queue" />
      {summary.data && (
        <dl class="facts" data-testid="queue-counts">
          {Object.entries(summary.data.counts).map(([state, count]) => (
            <div key={state}>
              <dt>{state}</dt>
              <dd>{count}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

/** The fleet: each agent's host, GPUs (memory, the run on each), heartbeat age, labels, versions. */
export function AgentsPage() {
  useTitle('Agents');
  const agents = useAsync((signal) => callApi(API_ROUTES.agents, { signal }), []);
  const [readAt, setReadAt] = useState(() => Date.now());
  const now = useNow(1_000);
  useEffect(() => {
    if (agents.data) setReadAt(Date.now());
  }, [agents.data]);
  // Coming back to the tab re-reads the fleet (heartbeats are not streamed).
  useEffect(() => {
    const onVisible = (): void => {
      if (document.visibilityState === 'visible') agents.reload();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [agents.reload]);
  const list = agents.data ?? [];
  return (
    <section aria-labelledby="agents-title">
      <div class="page-head">
        <h1 id="agents-title">Agents</h1>
        <span class="muted">{list.length} registered</span>
        <span class="spacer" />
        <button type="button" onClick={agents.reload} disabled={agents.loading}>
          Refresh
        </button>
      </div>
      <ErrorNote error={agents.error} what="the agents" />
      {!agents.loading && list.length === 0 && !agents.error && (
        <p class="muted">No agent has registered yet: start one with `npx brier-agent` on a GPU host.</p>
      )}
      <div class="agents">
        {list.map((agent) => (
          <AgentCard key={agent.id} agent={agent} readAt={readAt} now={now} />
        ))}
      </div>
      <QueueCounts />
    </section>
  );
}
