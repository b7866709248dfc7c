import { useEffect, useRef, useState } from 'preact/hooks';

import { callApi } from '../../api/client.js';
import { API_ROUTES } from '../../api/routes.js';
import type { RunView } from '../../api/types.js';
import { useThrottled } from '../../ui/use-throttled.js';
import { chunks, latestValues, type LatestValue } from './latest-metrics.js';

/** GET /v1/compare takes at most 20 runs. */
const COMPARE_MAX_RUNS = 20;
/** Live progress re-reads the latest values at most this often. */
const REFRESH_MS = 3_000;

export interface LatestMetrics {
  reward?: LatestValue;
  ece?: LatestValue;
}

/**
 * The latest trainer reward and ECE of each listed run, read through GET /v1/compare (20 runs a
 * request, two metrics) for the runs whose progress changed since they were last read.
 */
export function useLatestMetrics(runs: readonly RunView[]): {
  latest: ReadonlyMap<string, LatestMetrics>;
  error: unknown;
} {
  const [latest, setLatest] = useState<ReadonlyMap<string, LatestMetrics>>(new Map());
  const [error, setError] = useState<unknown>(undefined);
  const readAt = useRef(new Map<string, string>());
  const signature = useThrottled(
    runs.map((run) => `${run.id}:${run.progressStep ?? ''}:${run.status}`).join(','),
    REFRESH_MS,
  );

  useEffect(() => {
    const stale = signature
      .split(',')
      .filter((entry) => entry !== '' && readAt.current.get(entry.split(':')[0]!) !== entry);
    if (stale.length === 0) return undefined;
    const controller = new AbortController();
    const ids = stale.map((entry) => entry.split(':')[0]!);
    const read = async (): Promise<void> => {
      const found = new Map<string, LatestMetrics>();
      for (const group of chunks(ids, COMPARE_MAX_RUNS)) {
        const [reward, ece] = await Promise.all(
          (['reward', 'ece'] as const).map((metric) =>
            callApi(API_ROUTES.compare, { query: { runs: group, metric }, signal: controller.signal }),
          ),
        );
        const rewards = latestValues(reward!);
        const eces = latestValues(ece!);
        for (const id of group) found.set(id, { reward: rewards.get(id), ece: eces.get(id) });
      }
      for (const entry of stale) readAt.current.set(entry.split(':')[0]!, entry);
      setLatest((current) => new Map([...current, ...found]));
      setError(undefined);
    };
    read().catch((failure: unknown) => {
      if (!controller.signal.aborted) setError(failure);
    });
    return () => controller.abort();
  }, [signature]);

  return { latest, error };
}
