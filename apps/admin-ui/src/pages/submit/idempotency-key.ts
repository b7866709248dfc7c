/**
 * A fresh Idempotency-Key for one submission: 32 hex characters from the browser's CSPRNG
 * (crypto.getRandomValues works on plain-http deployments, where randomUUID does not exist).
 */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `admin-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}
