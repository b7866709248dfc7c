import { arrayOf, type Shape } from './shape.js';
import {
  AGENT,
  ATTEMPT,
  CHECKPOINT,
  COMPARE,
  EVENT_PAGE,
  LOG_LINE,
  PRESET,
  QUEUE_SUMMARY,
  RELIABILITY_GROUP,
  RUN,
  RUN_PAGE,
  SAMPLES,
  STEP_METRICS,
} from './shapes.js';
import type {
  AgentView,
  Checkpoint,
  CompareView,
  Preset,
  QueueSummary,
  ReliabilityGroup,
  RunAttempt,
  RunEventPage,
  RunPage,
  RunView,
  SamplesView,
  StepMetrics,
} from './types.js';

export type HttpMethod = 'GET' | 'POST';

/** A JSON route: `T` is what the client's call resolves to. */
export interface JsonRoute<T> {
  kind: 'json';
  method: HttpMethod;
  /** The path as the OpenAPI document writes it, `{name}` for parameters. */
  path: string;
  response: Shape;
  /** Phantom: carries T to the client; never set. */
  readonly type?: T;
}

/** A Server-Sent Events route: each event name with the shape of its JSON data. */
export interface StreamRoute {
  kind: 'stream';
  method: 'GET';
  path: string;
  events: Readonly<Record<string, Shape>>;
}

/** A route the panel only links to (a download): it must exist, its body is not read. */
export interface LinkRoute {
  kind: 'link';
  method: 'GET';
  path: string;
}

export type ApiRoute = JsonRoute<unknown> | StreamRoute | LinkRoute;

function json<T>(method: HttpMethod, path: string, response: Shape): JsonRoute<T> {
  return { kind: 'json', method, path, response };
}

/** Every route of the API the panel calls: the OpenAPI test iterates this table. */
export const API_ROUTES = {
  listRuns: json<RunPage>('GET', '/v1/runs', RUN_PAGE),
  getRun: json<RunView>('GET', '/v1/runs/{id}', RUN),
  submitRun: json<RunView>('POST', '/v1/runs', RUN),
  cancelRun: json<RunView>('POST', '/v1/runs/{id}/cancel', RUN),
  retryRun: json<RunView>('POST', '/v1/runs/{id}/retry', RUN),
  runAttempts: json<RunAttempt[]>('GET', '/v1/runs/{id}/attempts', arrayOf(ATTEMPT)),
  runEvents: json<RunEventPage>('GET', '/v1/runs/{id}/events', EVENT_PAGE),
  runCheckpoints: json<Checkpoint[]>('GET', '/v1/runs/{id}/checkpoints', arrayOf(CHECKPOINT)),
  stepMetrics: json<StepMetrics[]>('GET', '/v1/runs/{id}/metrics', arrayOf(STEP_METRICS)),
  reliability: json<ReliabilityGroup[]>('GET', '/v1/runs/{id}/reliability', arrayOf(RELIABILITY_GROUP)),
  samples: json<SamplesView>('GET', '/v1/runs/{id}/samples', SAMPLES),
  compare: json<CompareView>('GET', '/v1/compare', COMPARE),
  agents: json<AgentView[]>('GET', '/v1/agents', arrayOf(AGENT)),
  queueSummary: json<QueueSummary>('GET', '/v1/admin/queue', QUEUE_SUMMARY),
  presets: json<Preset[]>('GET', '/v1/presets', arrayOf(PRESET)),
  runLive: {
    kind: 'stream',
    method: 'GET',
    path: '/v1/runs/{id}/live',
    events: { run: RUN, steps: arrayOf(STEP_METRICS) },
  },
  runsLive: { kind: 'stream', method: 'GET', path: '/v1/runs/live', events: { run: RUN } },
  logStream: {
    kind: 'stream',
    method: 'GET',
    path: '/v1/runs/{id}/logs/stream',
    events: { message: LOG_LINE },
  },
  metricsCsv: { kind: 'link', method: 'GET', path: '/v1/runs/{id}/metrics.csv' },
  rolloutsExport: { kind: 'link', method: 'GET', path: '/v1/runs/{id}/rollouts' },
} as const satisfies Record<string, ApiRoute>;

export type QueryValue = string | number | boolean | readonly string[] | null | undefined;

/**
 * A route's URL path: `{name}` parameters filled in (encoded), then the query (undefined, null
 * and empty lists left out; lists comma-separated, as the API takes them).
 */
export function routeUrl(
  route: { path: string },
  params: Readonly<Record<string, string | number>> = {},
  query: Readonly<Record<string, QueryValue>> = {},
): string {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const param = params[name];
    if (param === undefined) throw new Error(`${route.path}: missing parameter ${name}`);
    return encodeURIComponent(String(param));
  });
  const search = new URLSearchParams();
  for (const [key, raw] of Object.entries(query)) {
    if (raw === undefined || raw === null) continue;
    if (Array.isArray(raw)) {
      if (raw.length > 0) search.set(key, raw.join(','));
    } else {
      search.set(key, String(raw));
    }
  }
  const text = search.toString();
  return text === '' ? path : `${path}?${text}`;
}
