import type { IncomingMessage, ServerResponse } from 'node:http';

import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';

import { reasonPhrase } from '../http/api-error.js';

/** Let through (true), or refuse: false is a 403; an object names the status (401 or 403) and why. */
export type AdminAccessDecision = true | false | { status: 401 | 403; message: string };

/**
 * Who may open the queue board (/admin/queues): the API provides TokenAdminAccess
 * (auth/admin-access.policy.ts) under ADMIN_ACCESS. The board is read-only for everyone (its
 * readOnlyMode is fixed when it is built: admins who may act on jobs would get a second board,
 * mounted behind a stricter policy).
 */
export interface AdminAccessPolicy {
  allows(request: IncomingMessage): AdminAccessDecision | Promise<AdminAccessDecision>;
}

export const ADMIN_ACCESS = Symbol('ADMIN_ACCESS');

/** No access control (unit tests of the board only). */
export const OPEN_ADMIN_ACCESS: AdminAccessPolicy = { allows: () => true };

/** Answers 401/403 (the API's error body) unless the policy allows the request. */
@Injectable()
export class AdminAccessMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  constructor(@Inject(ADMIN_ACCESS) private readonly policy: AdminAccessPolicy) {}

  async use(
    request: IncomingMessage,
    response: ServerResponse,
    next: (error?: unknown) => void,
  ): Promise<void> {
    let decision: AdminAccessDecision;
    try {
      decision = await this.policy.allows(request);
    } catch (error) {
      next(error);
      return;
    }
    if (decision === true) {
      next();
      return;
    }
    const { status, message } =
      decision === false ? { status: 403, message: 'the admin panel is not open to you' } : decision;
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
    if (status === 401) headers['WWW-Authenticate'] = 'Bearer realm="brier"';
    response.writeHead(status, headers);
    response.end(JSON.stringify({ statusCode: status, error: reasonPhrase(status), message }));
  }
}
