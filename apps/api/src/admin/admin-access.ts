import type { IncomingMessage, ServerResponse } from 'node:http';

import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';

/**
 * Who may open the admin panel (/admin) and the queue board (/admin/queues). The seam for access
 * control (issue 6): provide another policy under ADMIN_ACCESS, e.g. one that reads the caller's
 * session or token. Until then the panel is as open as the API it calls, and the queue board is
 * read-only for everyone (its readOnlyMode is fixed when it is built: admins who may act on jobs
 * would get a second board, mounted behind a stricter policy).
 */
export interface AdminAccessPolicy {
  allows(request: IncomingMessage): boolean | Promise<boolean>;
}

export const ADMIN_ACCESS = Symbol('ADMIN_ACCESS');

/** No access control yet (issue 6). */
export const OPEN_ADMIN_ACCESS: AdminAccessPolicy = { allows: () => true };

/** Answers 403 (the API's error body) unless the policy allows the request. */
@Injectable()
export class AdminAccessMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  constructor(@Inject(ADMIN_ACCESS) private readonly policy: AdminAccessPolicy) {}

  async use(
    request: IncomingMessage,
    response: ServerResponse,
    next: (error?: unknown) => void,
  ): Promise<void> {
    let allowed: boolean;
    try {
      allowed = await this.policy.allows(request);
    } catch (error) {
      next(error);
      return;
    }
    if (allowed) {
      next();
      return;
    }
    response.writeHead(403, { 'Content-Type': 'application/json; charset=utf-8' });
    response.end(
      JSON.stringify({ statusCode: 403, error: 'Forbidden', message: 'the admin panel is not open to you' }),
    );
  }
}
