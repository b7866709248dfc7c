import { RUN_KINDS, RUN_STATUSES, type RunKind, type RunStatus, type RunView } from '../../api/types.js';

/** The runs list's filters, as the page's query keeps them (`#/runs?status=running&q=seed`). */
export interface RunFilters {
  status: RunStatus | '';
  kind: RunKind | '';
  /** Case-insensitive part of the name. */
  q: string;
}

export function filtersFromQuery(query: URLSearchParams): RunFilters {
  const status = query.get('status') ?? '';
  const kind = query.get('kind') ?? '';
  return {
    status: (RUN_STATUSES as readonly string[]).includes(status) ? (status as RunStatus) : '',
    kind: (RUN_KINDS as readonly string[]).includes(kind) ? (kind as RunKind) : '',
    q: query.get('q') ?? '',
  };
}

/** Whether a run belongs in a list with these filters (the API's rules: AND of each). */
export function matchesFilters(run: RunView, filters: RunFilters): boolean {
  return (
    (filters.status === '' || run.status === filters.status) &&
    (filters.kind === '' || run.kind === filters.kind) &&
    (filters.q === '' || run.name.toLowerCase().includes(filters.q.toLowerCase()))
  );
}

/**
 * A list after a live `run` event: the run replaced where it is; a run new to the list added on
 * top (the list is newest first) if it matches; one that stopped matching (its status changed
 * under a status filter) taken out.
 */
export function mergeRun(list: readonly RunView[], run: RunView, filters: RunFilters): RunView[] {
  const index = list.findIndex((item) => item.id === run.id);
  const belongs = matchesFilters(run, filters);
  if (index === -1) return belongs ? [run, ...list] : [...list];
  if (!belongs) return list.filter((item) => item.id !== run.id);
  // An event older than what is shown (a slow read raced it) changes nothing.
  if (Date.parse(list[index]!.updatedAt) > Date.parse(run.updatedAt)) return [...list];
  return list.map((item, i) => (i === index ? run : item));
}
