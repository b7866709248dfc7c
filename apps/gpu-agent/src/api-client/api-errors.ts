import type { LeaseConflictReason, RunStatus } from '@brier/contracts';

/** One problem with a request body, as the API's 400 lists them. */
export interface ApiFieldMessage {
  path: string;
  message: string;
}

interface ApiErrorDetails {
  method: string;
  path: string;
  /** HTTP status; null when no answer came (network error, timeout). */
  status: number | null;
  /** The answer's parsed JSON body (or its text), when there was one. */
  body?: unknown;
  cause?: unknown;
}

/**
 * An API call that did not succeed. Messages name the method, path and status, never a header or
 * body we sent (they carry lease and bearer tokens).
 */
export abstract class ApiError extends Error {
  readonly method: string;
  readonly path: string;
  readonly status: number | null;
  readonly body: unknown;

  protected constructor(message: string, details: ApiErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.body = details.body;
  }
}

/** 409: a fence refused the call. `reason` says why (LeaseConflictBody), `runStatus` the run's status now. */
export class ApiConflictError extends ApiError {
  readonly reason: LeaseConflictReason | undefined;
  readonly runStatus: RunStatus | undefined;

  constructor(message: string, details: ApiErrorDetails) {
    super(message, details);
    const body = asRecord(details.body);
    this.reason = typeof body?.['reason'] === 'string' ? (body['reason'] as LeaseConflictReason) : undefined;
    this.runStatus = typeof body?.['status'] === 'string' ? (body['status'] as RunStatus) : undefined;
  }
}

/** 404: no such run or agent. */
export class ApiNotFoundError extends ApiError {
  constructor(message: string, details: ApiErrorDetails) {
    super(message, details);
  }
}

/**
 * 401 or 403: the API refuses this agent's token (revoked, rotated, or not an agent token for this
 * AGENT_NAME). Nothing the agent sends counts any more: its leases are as good as lost.
 */
export class ApiAuthError extends ApiError {
  constructor(message: string, details: ApiErrorDetails) {
    super(message, details);
  }
}

/**
 * 400, 413, 415, 422 (and any other 4xx but 401/403/408/429): the request itself is wrong, a bug on the
 * agent's side. Never retried: the same request would be refused again.
 */
export class ApiRejectedError extends ApiError {
  /** The API's field problems (a 400 of a bad body); empty when it answered a sentence. */
  readonly fieldMessages: ApiFieldMessage[];

  constructor(message: string, details: ApiErrorDetails, fieldMessages: ApiFieldMessage[]) {
    super(message, details);
    this.fieldMessages = fieldMessages;
  }
}

/** No answer (network error, timeout), a 5xx, 408 or 429: the same request may succeed later. */
export class ApiUnavailableError extends ApiError {
  /** The answer's Retry-After, in milliseconds; null when it gave none. */
  readonly retryAfterMs: number | null;

  constructor(message: string, details: ApiErrorDetails, retryAfterMs: number | null = null) {
    super(message, details);
    this.retryAfterMs = retryAfterMs;
  }
}

/** Why an attempt may no longer write: its lease is gone, or the API refuses the agent itself. */
export type LeaseLossError = ApiConflictError | ApiNotFoundError | ApiAuthError;

/**
 * True when a fenced write's error means the lease is gone (409 lease-lost or attempt-mismatch,
 * 404) or the agent's token is refused (401, 403): stop the run and report nothing more about it
 * (docs/agent-api.md).
 */
export function isLeaseLoss(error: unknown): error is LeaseLossError {
  if (error instanceof ApiNotFoundError || error instanceof ApiAuthError) return true;
  return (
    error instanceof ApiConflictError &&
    (error.reason === 'lease-lost' || error.reason === 'attempt-mismatch')
  );
}

/** Retry-After as milliseconds: delay-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const MAX_MESSAGE_CHARS = 2000;

/** The typed error for a non-2xx answer. */
export function errorFromResponse(
  method: string,
  path: string,
  status: number,
  headers: Headers,
  bodyText: string,
): ApiError {
  const body = parseBody(bodyText);
  const record = asRecord(body);
  const fieldMessages = fieldMessagesOf(record?.['message']);
  const said =
    fieldMessages.length > 0
      ? fieldMessages.map((m) => (m.path === '' ? m.message : `${m.path}: ${m.message}`)).join('; ')
      : typeof record?.['message'] === 'string'
        ? record['message']
        : typeof body === 'string'
          ? body
          : '';
  const reason = typeof record?.['reason'] === 'string' ? ` (${record['reason']})` : '';
  const message = `${method} ${path}: ${status}${reason}${said === '' ? '' : `: ${said}`}`.slice(
    0,
    MAX_MESSAGE_CHARS,
  );
  const details: ApiErrorDetails = { method, path, status, body };
  if (status === 409) return new ApiConflictError(message, details);
  if (status === 401 || status === 403) return new ApiAuthError(message, details);
  if (status === 404) return new ApiNotFoundError(message, details);
  if (status >= 500 || status === 408 || status === 429) {
    return new ApiUnavailableError(message, details, parseRetryAfter(headers.get('retry-after')));
  }
  return new ApiRejectedError(message, details, fieldMessages);
}

/** The typed error for a request that got no answer. */
export function errorFromFailure(
  method: string,
  path: string,
  error: unknown,
  timeoutMs: number,
): ApiUnavailableError {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') {
    return new ApiUnavailableError(`${method} ${path}: no answer within ${timeoutMs} ms`, {
      method,
      path,
      status: null,
      cause: error,
    });
  }
  const cause = (error as { cause?: unknown } | null)?.cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const why =
    typeof code === 'string'
      ? code
      : error instanceof Error
        ? ((cause as Error | undefined)?.message ?? error.message)
        : String(error);
  return new ApiUnavailableError(`${method} ${path}: ${why}`, { method, path, status: null, cause: error });
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON (a proxy's HTML page): keep the start of the text for the message.
    return text.slice(0, 500);
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function fieldMessagesOf(value: unknown): ApiFieldMessage[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item): ApiFieldMessage[] => {
    if (typeof item === 'string') return [{ path: '', message: item }];
    const record = asRecord(item);
    if (record === undefined || typeof record['message'] !== 'string') return [];
    return [{ path: typeof record['path'] === 'string' ? record['path'] : '', message: record['message'] }];
  });
}
