import type { IncomingMessage } from 'node:http';

import { SESSION_COOKIE } from '@brier/contracts';

/**
 * The token a request presents: `Authorization: Bearer <token>` (scripts, the CLI, agents), else
 * the panel's session cookie (a browser's EventSource cannot set headers). Undefined when none.
 */
export function presentedToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ?? '';
  }
  return cookieValue(request.headers.cookie, SESSION_COOKIE);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    if (part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}
