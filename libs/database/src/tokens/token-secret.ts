import { createHash, randomBytes } from 'node:crypto';

import { API_TOKEN_PREFIX } from '@brier/contracts';

/** 256 random bits, base64url: `brier_` + 43 characters. */
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = new RegExp(`^${API_TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`);

/** A new API token: shown once to its owner, never stored (only its hash is). */
export function generateApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Whether `value` has a token's shape (cheap check before any lookup). */
export function looksLikeApiToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/**
 * What is stored of a token: SHA-256, hex. A slow password hash buys nothing for 256 random bits,
 * and a fast one keeps the lookup per request cheap.
 */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
