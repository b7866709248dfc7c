/**
 * Who a token speaks for (docs/security.md): admin does everything; researcher submits runs,
 * cancels and retries its own, reads all; viewer reads; agent calls only the agent routes, for
 * runs leased to it.
 */
export const API_ROLES = ['admin', 'researcher', 'viewer', 'agent'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export function isApiRole(value: unknown): value is ApiRole {
  return typeof value === 'string' && (API_ROLES as readonly string[]).includes(value);
}

/** Every API token starts with this, so a leaked one is recognisable (secret scanners, logs). */
export const API_TOKEN_PREFIX = 'brier_';

/** The admin panel's session cookie: the token itself, HttpOnly and SameSite=Strict. */
export const SESSION_COOKIE = 'brier_session';

/** Where the panel logs in and out (POST with {token}, DELETE), and asks who it is (GET). */
export const SESSION_PATH = '/v1/session';

/** A token's name: who it speaks for (a person, a service, an agent host), e.g. alice or ci-bot. */
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;
