import { useEffect, useState } from 'preact/hooks';

import { callApi } from '../../api/client.js';
import { API_ROUTES } from '../../api/routes.js';
import type { RunEvent } from '../../api/types.js';
import { dateTime } from '../../format/time.js';
import { ErrorNote } from '../../ui/error-note.js';
import { StatusBadge } from '../../ui/status-badge.js';
import { LazyPanel } from '../../ui/lazy-panel.js';
import { useAsync } from '../../ui/use-async.js';

function json(value: unknown): string {
  return value === null || value === undefined ? '' : JSON.stringify(value);
}

/** The run's attempts (claims by agents), read again when the run's attempt or status changes. */
export function AttemptsTable({ runId, version }: { runId: string; version: string }) {
  const attempts = useAsync(
    (signal) => callApi(API_ROUTES.runAttempts, { params: { id: runId }, signal }),
    [runId, version],
  );
  const list = attempts.data ?? [];
  return (
    <details class="panel" open>
      <summary>
        <h2>Attempts ({list.length})</h2>
      </summary>
      <ErrorNote error={attempts.error} what="the attempts" />
      {list.length === 0 ? (
        <p class="muted">Not claimed by an agent yet.</p>
      ) : (
        <div class="table-scroll">
          <table class="data" data-testid="attempts">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">status</th>
                <th scope="col">agent</th>
                <th scope="col">resumed from</th>
                <th scope="col">started</th>
                <th scope="col">finished</th>
                <th scope="col">exit</th>
                <th scope="col">error</th>
              </tr>
            </thead>
            <tbody>
              {list.map((attempt) => (
                <tr key={attempt.number}>
                  <th scope="row">{attempt.number}</th>
                  <td>
                    <StatusBadge status={attempt.status} />
                  </td>
                  <td>{attempt.agentId?.slice(0, 8) ?? '–'}</td>
                  <td>{attempt.resumeStep ?? '–'}</td>
                  <td>{dateTime(attempt.startedAt)}</td>
                  <td>{dateTime(attempt.finishedAt)}</td>
                  <td>{attempt.exitCode ?? attempt.signal ?? '–'}</td>
                  <td class="wrap">{json(attempt.error)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}

/** The run's events, oldest first, a page at a time (read when the panel is opened). */
export function EventsPanel({ runId, version }: { runId: string; version: string }) {
  return <LazyPanel title="Events">{() => <EventsTable runId={runId} version={version} />}</LazyPanel>;
}

function EventsTable({ runId, version }: { runId: string; version: string }) {
  const [more, setMore] = useState<RunEvent[]>([]);
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const first = useAsync(
    (signal) => callApi(API_ROUTES.runEvents, { params: { id: runId }, signal }),
    [runId, version],
  );
  // A new first page starts the list again.
  useEffect(() => {
    setMore([]);
    setNext(undefined);
  }, [first.data]);
  const after = next === undefined ? (first.data?.nextAfter ?? null) : next;
  const [error, setError] = useState<unknown>(undefined);
  const events = [...(first.data?.items ?? []), ...more];

  const loadMore = (): void => {
    if (after === null) return;
    callApi(API_ROUTES.runEvents, { params: { id: runId }, query: { after } }).then((page) => {
      setMore((current) => [...current, ...page.items]);
      setNext(page.nextAfter);
    }, setError);
  };

  return (
    <>
      <ErrorNote error={first.error ?? error} what="the events" />
      <div class="table-scroll">
        <table class="data" data-testid="events">
          <thead>
            <tr>
              <th scope="col">at</th>
              <th scope="col">type</th>
              <th scope="col">status</th>
              <th scope="col">by</th>
              <th scope="col">reason</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={event.id}>
                <td>{dateTime(event.at)}</td>
                <td>{event.type}</td>
                <td>{event.toStatus === null ? '' : `${event.fromStatus ?? '∅'} → ${event.toStatus}`}</td>
                <td>{event.actor}</td>
                <td class="wrap">
                  {event.reason ?? ''} {json(event.data)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {after !== null && (
        <button type="button" onClick={loadMore}>
          More events
        </button>
      )}
    </>
  );
}
