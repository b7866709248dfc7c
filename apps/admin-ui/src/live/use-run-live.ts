import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

import { callApi } from '../api/client.js';
import { API_ROUTES, routeUrl } from '../api/routes.js';
import { TERMINAL_STATUSES, type RunView, type StepMetrics } from '../api/types.js';
import { asStepRows, StepSeries } from './step-series.js';
import { useLiveStream, type LiveConnection } from './use-live-stream.js';

export interface RunLive {
  run: RunView | undefined;
  /** Per-step metrics, by step, kept current by the live stream. */
  steps: StepMetrics[];
  /** How many live `steps` events arrived: what derived reads (reliability) follow. */
  liveSteps: number;
  /** The last read that failed (cleared by the next that succeeds). */
  error: unknown;
  /** The run was deleted while the page showed it. */
  deleted: boolean;
  live: LiveConnection;
  /** Shows a run the page changed itself (cancel, retry) before its live event arrives. */
  setRun: (run: RunView) => void;
}

/**
 * A run and its per-step metrics, followed over GET /v1/runs/{id}/live. For a fast first paint
 * the run and its metrics are read at once, beside the stream; to leave no gap (docs/live.md),
 * the metrics are read again after the first `run` event of every connection unless the run had
 * finished (nothing can have changed) — on a reconnect always. `steps` events are applied over
 * the reads by step. If the server refuses the stream the page keeps what it read.
 */
export function useRunLive(id: string): RunLive {
  const [run, setRun] = useState<RunView | undefined>(undefined);
  const [steps, setSteps] = useState<StepMetrics[]>([]);
  const [liveSteps, setLiveSteps] = useState(0);
  const [error, setError] = useState<unknown>(undefined);
  const [deleted, setDeleted] = useState(false);
  const series = useRef(new StepSeries());
  const aborts = useRef(new AbortController());
  /** The next `run` event is the first of a connection; `reconnected`: not the page's first. */
  const snapshot = useRef({ pending: true, reconnected: false });

  const report = useCallback((failure: unknown) => {
    if (!aborts.current.signal.aborted) setError(failure);
  }, []);

  const readMetrics = useCallback((): void => {
    series.current.beginRead();
    callApi(API_ROUTES.stepMetrics, { params: { id }, signal: aborts.current.signal }).then((rows) => {
      series.current.applyRead(rows);
      setSteps(series.current.sorted());
      setError(undefined);
    }, report);
  }, [id, report]);

  const readAll = useCallback((): void => {
    callApi(API_ROUTES.getRun, { params: { id }, signal: aborts.current.signal }).then(setRun, report);
    readMetrics();
  }, [id, readMetrics, report]);

  useEffect(() => {
    aborts.current = new AbortController();
    readAll();
    return () => aborts.current.abort();
  }, [readAll]);

  const live = useLiveStream(routeUrl(API_ROUTES.runLive, { id }), {
    events: {
      run: (data) => {
        const current = data as RunView;
        setRun(current);
        const { pending, reconnected } = snapshot.current;
        if (!pending) return;
        snapshot.current = { pending: false, reconnected: true };
        if (reconnected || !TERMINAL_STATUSES.includes(current.status)) readMetrics();
      },
      steps: (data) => {
        series.current.applyLive(asStepRows(data));
        setSteps(series.current.sorted());
        setLiveSteps((n) => n + 1);
      },
      deleted: () => setDeleted(true),
    },
    onOpen: () => {
      snapshot.current = { ...snapshot.current, pending: true };
    },
    onStopped: readAll,
  });

  return { run, steps, liveSteps, error, deleted, live, setRun };
}
