export const REDACTED = '<redacted>';
const MAX_SHOWN = 120;

/**
 * How a configuration value is shown to a person: quoted, truncated, with a URL's password
 * masked, and never at all when the variable is secret.
 */
export function describeValue(raw: string | undefined, secret: boolean): string {
  if (raw === undefined) return 'not set';
  if (secret) return `got ${REDACTED}`;
  const shown = raw.length > MAX_SHOWN ? `${raw.slice(0, MAX_SHOWN)}…` : raw;
  return `got ${JSON.stringify(maskUrlPassword(shown))}`;
}

/** `postgres://user:pw@host/db` → `postgres://user:***@host/db`; anything else unchanged. */
export function maskUrlPassword(value: string): string {
  if (!value.includes('://')) return value;
  try {
    const url = new URL(value);
    if (url.password === '') return value;
    url.password = '***';
    return url.toString();
  } catch {
    return value;
  }
}
