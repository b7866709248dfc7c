import { useState } from 'preact/hooks';

import { callApi, errorText } from '../api/client.js';
import { API_ROUTES, type JsonRoute } from '../api/routes.js';
import { CANCELLABLE_STATUSES, RETRYABLE_STATUSES, type RunView } from '../api/types.js';
import { mayActOn } from '../session/session.js';
import { useSession } from '../session/session-context.js';

interface RunActionsProps {
  run: RunView;
  /** The run as the API answered the action. */
  onChanged: (run: RunView) => void;
  compact?: boolean;
}

/**
 * Cancel (asked to confirm: a training run's GPU hours are not given back) and retry, for the
 * statuses the API allows them in, for the sessions the API lets act on the run (admins, its
 * researcher). The answer's run is shown at once; its live event follows.
 */
export function RunActions({ run, onChanged, compact = false }: RunActionsProps) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const allowed = mayActOn(useSession(), run);
  const canCancel = allowed && CANCELLABLE_STATUSES.includes(run.status) && run.cancelRequestedAt === null;
  const canRetry = allowed && RETRYABLE_STATUSES.includes(run.status);

  const act = (route: JsonRoute<RunView>): void => {
    setBusy(true);
    setError(undefined);
    callApi(route, { params: { id: run.id } })
      .then(onChanged, (failure: unknown) => setError(errorText(failure)))
      .finally(() => {
        setBusy(false);
        setConfirming(false);
      });
  };

  const label = compact ? '' : ` ${run.name}`;
  return (
    <span class="actions">
      {run.cancelRequestedAt !== null && run.status === 'running' && <span class="muted">cancelling…</span>}
      {canCancel && !confirming && (
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={() => setConfirming(true)}
          aria-label={`Cancel${label}`}
        >
          Cancel
        </button>
      )}
      {canCancel && confirming && (
        <>
          <button type="button" class="danger" disabled={busy} onClick={() => act(API_ROUTES.cancelRun)}>
            Confirm cancel
          </button>
          <button type="button" disabled={busy} onClick={() => setConfirming(false)}>
            Keep running
          </button>
        </>
      )}
      {canRetry && (
        <button
          type="button"
          disabled={busy}
          onClick={() => act(API_ROUTES.retryRun)}
          aria-label={`Retry${label}`}
        >
          Retry
        </button>
      )}
      {error !== undefined && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
