import { routeUrl, type JsonRoute, type QueryValue } from './routes.js';
import type { FieldMessage } from './types.js';

/** How long one call may take before the panel gives up and says so. */
const REQUEST_TIMEOUT_MS = 20_000;

/** An answer ≥ 400 (or no answer): the API's message, and for a 400 every field's problem. */
export class ApiError extends Error {
  constructor(
    /** 0: the API could not be reached (or the call timed out). */
    readonly status: number,
    message: string,
    readonly fieldErrors: readonly FieldMessage[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isFieldMessage(value: unknown): value is FieldMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)['path'] === 'string' &&
    typeof (value as Record<string, unknown>)['message'] === 'string'
  );
}

/** The API's error body `{statusCode, error, message}` (message: a sentence or field problems). */
export function toApiError(status: number, statusText: string, body: unknown): ApiError {
  const message =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['message'] : undefined;
  if (Array.isArray(message) && message.every(isFieldMessage)) {
    const text = message.map((m) => (m.path === '' ? m.message : `${m.path}: ${m.message}`)).join('; ');
    return new ApiError(status, text, message);
  }
  if (typeof message === 'string' && message !== '') return new ApiError(status, message);
  return new ApiError(status, `${status} ${statusText}`.trim());
}

export interface CallOptions {
  params?: Readonly<Record<string, string | number>>;
  query?: Readonly<Record<string, QueryValue>>;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
}

/** Calls a JSON route of the API (same origin) and returns its body, or throws an ApiError. */
export async function callApi<T>(route: JsonRoute<T>, options: CallOptions = {}): Promise<T> {
  const url = routeUrl(route, options.params, options.query);
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(url, { method: route.method, headers, body, signal });
  } catch (error) {
    // The caller's own abort is not an error to show: let it through as it is.
    if (options.signal?.aborted) throw error;
    const why = timeout.aborted
      ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
      : 'the API cannot be reached';
    throw new ApiError(0, `${route.method} ${url}: ${why}`);
  }
  const text = await response.text();
  let parsed: unknown = null;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      if (response.ok) throw new ApiError(response.status, `${route.method} ${url}: the answer is not JSON`);
    }
  }
  if (!response.ok) throw toApiError(response.status, response.statusText, parsed);
  return parsed as T;
}

/** A short sentence for any error a call can throw. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
