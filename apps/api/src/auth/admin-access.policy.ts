import type { IncomingMessage } from 'node:http';

import { Injectable } from '@nestjs/common';

import type { AdminAccessPolicy, AdminAccessDecision } from '../admin/admin-access.js';
import { READERS } from './access.decorators.js';
import { presentedToken } from './credentials.js';
import { PrincipalResolver } from './principal-resolver.js';

/**
 * bull-board (/admin/queues) under the API's rules: the readers' routes (admin, researcher,
 * viewer), by session cookie or bearer token. The board stays read-only for everyone: jobs
 * belong to the runs API (cancel, retry there).
 */
@Injectable()
export class TokenAdminAccess implements AdminAccessPolicy {
  constructor(private readonly principals: PrincipalResolver) {}

  async allows(request: IncomingMessage): Promise<AdminAccessDecision> {
    const token = presentedToken(request);
    const principal = token === undefined ? null : await this.principals.resolve(token);
    if (principal === null) return { status: 401, message: 'log in first: /admin (or send a bearer token)' };
    if (!READERS.includes(principal.role))
      return { status: 403, message: `the queue board is for ${READERS.join(', ')} tokens` };
    return true;
  }
}
