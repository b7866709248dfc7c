import { toApiError } from '../api/client.js';

/** Who is logged in (GET /v1/session). */
export interface Session {
  name: string;
  role: 'admin' | 'researcher' | 'viewer' | 'agent';
}

/** SESSION_PATH of @brier/contracts (not imported: the panel takes types only from there). */
const SESSION_URL = '/v1/session';
const TIMEOUT_MS = 20_000;

async function send(method: string, body?: unknown): Promise<Response> {
  return fetch(SESSION_URL, {
    method,
    headers: {
      Accept: 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    credentials: 'same-origin',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
}

async function failure(response: Response): Promise<Error> {
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the status says it
  }
  return toApiError(response.status, response.statusText, body);
}

/** The session of the cookie, or null when there is none (or it no longer works). */
export async function currentSession(): Promise<Session | null> {
  const response = await send('GET');
  if (response.status === 401) return null;
  if (!response.ok) throw await failure(response);
  return (await response.json()) as Session;
}

/** Exchanges a token for the session cookie (HttpOnly: the panel never sees it again). */
export async function logIn(token: string): Promise<Session> {
  const response = await send('POST', { token: token.trim() });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as Session;
}

export async function logOut(): Promise<void> {
  const response = await send('DELETE');
  if (!response.ok) throw await failure(response);
}

/** Whether the session may submit runs (the API's SUBMITTERS). */
export function maySubmit(session: Session): boolean {
  return session.role === 'admin' || session.role === 'researcher';
}

/** Whether the session may cancel or retry this run: admins any, researchers their own. */
export function mayActOn(session: Session, run: { createdBy: string | null }): boolean {
  return session.role === 'admin' || (session.role === 'researcher' && run.createdBy === session.name);
}
