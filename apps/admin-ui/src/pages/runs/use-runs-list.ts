import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

import { callApi } from '../../api/client.js';
import { API_ROUTES, routeUrl } from '../../api/routes.js';
import type { RunView } from '../../api/types.js';
import { useLiveStream, type LiveConnection } from '../../live/use-live-stream.js';
import { mergeRun, type RunFilters } from './run-filters.js';

const PAGE_SIZE = 50;

/** GET /v1/runs's query for the filters. */
function listQuery(filters: RunFilters): Record<string, string | undefined> {
  return {
    status: filters.status || undefined,
    kind: filters.kind || undefined,
    name: filters.q || undefined,
  };
}

export interface RunsList {
  runs: RunView[];
  loading: boolean;
  error: unknown;
  hasMore: boolean;
  loadMore: () => void;
  live: LiveConnection;
  /** Shows a run an action answered with. */
  update: (run: RunView) => void;
}

/**
 * The runs matching the filters, newest first, in pages of 50 (keyset cursor), kept current by
 * GET /v1/runs/live. As docs/live.md asks, the stream is opened first and the list read once it
 * is open (again after every drop, and on `resync`); events that arrive during a read are applied
 * over its answer. If the server refuses the stream, the list is read without it.
 */
export function useRunsList(filters: RunFilters): RunsList {
  const [runs, setRuns] = useState<RunView[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(undefined);
  /** 0 until the stream opened (or was refused): each increment reads the first page again. */
  const [generation, setGeneration] = useState(0);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const duringRead = useRef<RunView[] | undefined>(undefined);

  const { status, kind, q } = filters;
  useEffect(() => {
    if (generation === 0) return undefined;
    const controller = new AbortController();
    setLoading(true);
    duringRead.current = [];
    callApi(API_ROUTES.listRuns, {
      query: { ...listQuery(filtersRef.current), limit: PAGE_SIZE },
      signal: controller.signal,
    }).then(
      (page) => {
        const missed = duringRead.current ?? [];
        duringRead.current = undefined;
        setRuns(missed.reduce((list, run) => mergeRun(list, run, filtersRef.current), page.items));
        setCursor(page.nextCursor);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        duringRead.current = undefined;
        setError(failure);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [status, kind, q, generation]);

  const loadMore = useCallback(() => {
    if (cursor === null) return;
    setLoading(true);
    callApi(API_ROUTES.listRuns, {
      query: { ...listQuery(filtersRef.current), limit: PAGE_SIZE, cursor },
    }).then(
      (page) => {
        setRuns((current) => {
          const known = new Set(current.map((run) => run.id));
          return [...current, ...page.items.filter((run) => !known.has(run.id))];
        });
        setCursor(page.nextCursor);
        setLoading(false);
      },
      (failure: unknown) => {
        setError(failure);
        setLoading(false);
      },
    );
  }, [cursor]);

  const update = useCallback((run: RunView) => {
    duringRead.current?.push(run);
    setRuns((list) => mergeRun(list, run, filtersRef.current));
  }, []);

  const readAgain = (): void => setGeneration((g) => g + 1);
  const live = useLiveStream(routeUrl(API_ROUTES.runsLive), {
    events: {
      run: (data) => update(data as RunView),
      deleted: (data) => {
        const id = (data as { id?: unknown }).id;
        setRuns((list) => list.filter((run) => run.id !== id));
      },
      resync: readAgain,
    },
    onOpen: readAgain,
    onStopped: readAgain,
  });

  return { runs, loading, error, hasMore: cursor !== null, loadMore, live, update };
}
