/**
 * How each route's request body is read (see json-body.middleware.ts). The default suits every
 * JSON route of the API: 1 MiB, JSON only (anything else is a 415). Ingestion routes take big
 * bodies: JSON up to their own limit, and other content types (NDJSON, gzip, multipart) are left
 * unread for the route's own streaming parser, which enforces its own limits.
 *
 * To give a route other rules, add it here: the first rule whose pattern matches the path wins.
 */
export interface BodyRule {
  /** Matched against the request path (no query string). */
  route: RegExp;
  /** Largest JSON body, in bytes (decompressed, when the body is gzip or deflate encoded). */
  jsonLimitBytes: number;
  /** 'reject': only JSON bodies (415 otherwise); 'pass': other bodies reach the route unread. */
  otherContentTypes: 'reject' | 'pass';
  /** false: JSON bodies too reach the route unread, for a route that streams them itself. */
  parseJson?: boolean;
}

export const MiB = 1024 * 1024;

export const DEFAULT_BODY_RULE: BodyRule = {
  route: /^/,
  jsonLimitBytes: 1 * MiB,
  otherContentTypes: 'reject',
};

export const BODY_RULES: readonly BodyRule[] = [
  // Rollout batches from agents (JSON, or NDJSON, gzip accepted) and results-directory imports
  // (multipart): apps/api/src/rollouts and apps/api/src/imports.
  { route: /^\/v1\/runs\/[^/]+\/rollouts\/?$/i, jsonLimitBytes: 64 * MiB, otherContentTypes: 'pass' },
  { route: /^\/v1\/imports\/?$/i, jsonLimitBytes: 64 * MiB, otherContentTypes: 'pass' },
];

export function bodyRuleFor(path: string, rules: readonly BodyRule[] = BODY_RULES): BodyRule {
  return rules.find((rule) => rule.route.test(path)) ?? DEFAULT_BODY_RULE;
}

/** "1 MiB", "64 MiB", "512 KiB": a limit as people read it. */
export function formatBytes(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
