import type { ServerResponse } from 'node:http';

import type { ApiRole } from '@brier/contracts';
import { AgentAccessRepository } from '@brier/database';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { apiError } from '../http/api-error.js';
import {
  ADMINS,
  AGENT_SCOPE,
  OWN_RUN_PARAM,
  PUBLIC_ROUTE,
  RATE_LIMITED,
  ROUTE_ROLES,
  type AgentScope,
  type RateLimitName,
} from './access.decorators.js';
import { AgentScopeCheck } from './agent-scope.check.js';
import { presentedToken } from './credentials.js';
import type { AuthenticatedRequest, Principal } from './principal.js';
import { PrincipalResolver } from './principal-resolver.js';
import { RateLimits } from './rate-limits.js';

type GuardedRequest = AuthenticatedRequest & {
  params?: Record<string, string | undefined>;
  body?: unknown;
};

/**
 * The API's one access check (an APP_GUARD, so every route has it): who is calling (401 without
 * a live token), may their role call this route (403), and is the run theirs where the route
 * says so (a researcher's own runs, an agent's leased runs); then the caller's rate limit (429).
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly principals: PrincipalResolver,
    private readonly agentScope: AgentScopeCheck,
    private readonly access: AgentAccessRepository,
    private readonly rateLimits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<GuardedRequest>();
    const principal = await this.authenticate(request, http.getResponse<ServerResponse>());

    const roles = this.reflector.getAllAndOverride<readonly ApiRole[]>(ROUTE_ROLES, targets) ?? ADMINS;
    if (!roles.includes(principal.role)) {
      throw apiError(
        403,
        `this route is for ${roles.join(', ')} tokens; this token's role is ${principal.role}`,
      );
    }
    const params = request.params ?? {};
    const ownRun = this.reflector.get<string | undefined>(OWN_RUN_PARAM, context.getHandler());
    if (ownRun !== undefined && principal.role === 'researcher') {
      await this.checkOwnRun(params[ownRun] ?? '', principal);
    }
    const scope = this.reflector.get<AgentScope | undefined>(AGENT_SCOPE, context.getHandler());
    if (scope !== undefined && principal.role === 'agent') {
      await this.agentScope.check(scope, principal, { params, body: request.body });
    }
    const limit = this.reflector.get<RateLimitName | undefined>(RATE_LIMITED, context.getHandler());
    if (limit !== undefined) await this.consume(limit, principal, http.getResponse<ServerResponse>());
    return true;
  }

  private async authenticate(request: GuardedRequest, response: ServerResponse): Promise<Principal> {
    const token = presentedToken(request);
    const principal = token === undefined ? null : await this.principals.resolve(token);
    if (principal === null) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="brier"');
      throw apiError(
        401,
        token === undefined
          ? 'an API token is required: Authorization: Bearer brier_… (see docs/security.md)'
          : 'the API token is unknown or revoked',
      );
    }
    request.principal = principal;
    return principal;
  }

  private async checkOwnRun(runId: string, principal: Principal): Promise<void> {
    const owner = await this.access.runOwner(runId);
    if (owner !== undefined && owner !== principal.name) {
      throw apiError(
        403,
        `run ${runId} belongs to ${owner ?? 'no one'}: researchers act on their own runs only`,
      );
    }
  }

  private async consume(limit: RateLimitName, principal: Principal, response: ServerResponse): Promise<void> {
    const retryAfter = await this.rateLimits.consume(limit, principal);
    if (retryAfter === null) return;
    response.setHeader('Retry-After', String(retryAfter));
    throw apiError(
      429,
      `over this token's ${limit} limit (${this.rateLimits.perMinute(limit)} a minute): retry in ${retryAfter} s`,
      { retryAfter },
    );
  }
}
