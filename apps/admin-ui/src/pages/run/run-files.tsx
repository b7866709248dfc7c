import { callApi } from '../../api/client.js';
import { API_ROUTES, routeUrl } from '../../api/routes.js';
import { dateTime } from '../../format/time.js';
import { ErrorNote } from '../../ui/error-note.js';
import { LazyPanel } from '../../ui/lazy-panel.js';
import { useAsync } from '../../ui/use-async.js';

/** The run's checkpoints by step, paths on the agent's host (read when the panel is opened). */
export function CheckpointsPanel({ runId, version }: { runId: string; version: string }) {
  return (
    <LazyPanel title="Checkpoints">{() => <CheckpointsTable runId={runId} version={version} />}</LazyPanel>
  );
}

function CheckpointsTable({ runId, version }: { runId: string; version: string }) {
  const checkpoints = useAsync(
    (signal) => callApi(API_ROUTES.runCheckpoints, { params: { id: runId }, signal }),
    [runId, version],
  );
  const list = checkpoints.data ?? [];
  return (
    <>
      <ErrorNote error={checkpoints.error} what="the checkpoints" />
      {list.length === 0 ? (
        !checkpoints.loading && <p class="muted">None.</p>
      ) : (
        <div class="table-scroll">
          <table class="data" data-testid="checkpoints">
            <thead>
              <tr>
                <th scope="col">step</th>
                <th scope="col">kind</th>
                <th scope="col">attempt</th>
                <th scope="col">complete</th>
                <th scope="col">path (on the agent)</th>
                <th scope="col">written</th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={`${c.kind}:${c.attempt}:${c.step}`}>
                  <th scope="row">{c.step}</th>
                  <td>{c.kind}</td>
                  <td>{c.attempt}</td>
                  <td>{c.complete ? 'yes' : 'no'}</td>
                  <td class="wrap">
                    <code>{c.path}</code>
                  </td>
                  <td>{dateTime(c.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** Downloads: the per-step metrics and every rollout, streamed by the API. */
export function Exports({ runId }: { runId: string }) {
  const params = { id: runId };
  const links = [
    { text: 'Per-step metrics (CSV)', url: routeUrl(API_ROUTES.metricsCsv, params) },
    { text: 'Rollouts (CSV)', url: routeUrl(API_ROUTES.rolloutsExport, params, { format: 'csv' }) },
    { text: 'Rollouts (JSONL)', url: routeUrl(API_ROUTES.rolloutsExport, params, { format: 'jsonl' }) },
    {
      text: 'Rollouts with prompts (JSONL)',
      url: routeUrl(API_ROUTES.rolloutsExport, params, { format: 'jsonl', include: 'prompt' }),
    },
  ];
  return (
    <details class="panel">
      <summary>
        <h2>Exports</h2>
      </summary>
      <ul class="exports" data-testid="exports">
        {links.map((link) => (
          <li key={link.url}>
            <a href={link.url} download>
              {link.text}
            </a>
          </li>
        ))}
      </ul>
    </details>
  );
}
