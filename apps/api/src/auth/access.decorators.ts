import { API_ROLES, SESSION_COOKIE, type ApiRole } from '@brier/contracts';
import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiExtension,
  ApiForbiddenResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import { ApiErrorDto } from '../http/api-error.dto.js';
import { principalOf, type AuthenticatedRequest, type Principal } from './principal.js';

export const PUBLIC_ROUTE = 'brier:public';
export const ROUTE_ROLES = 'brier:roles';
export const OWN_RUN_PARAM = 'brier:own-run';
export const AGENT_SCOPE = 'brier:agent-scope';
export const RATE_LIMITED = 'brier:rate-limited';

/** The route groups of docs/security.md. */
export const READERS: readonly ApiRole[] = ['admin', 'researcher', 'viewer'];
export const SUBMITTERS: readonly ApiRole[] = ['admin', 'researcher'];
export const AGENTS: readonly ApiRole[] = ['admin', 'agent'];
export const ADMINS: readonly ApiRole[] = ['admin'];
export const ANY_ROLE: readonly ApiRole[] = API_ROLES;

/** No token needed (GET /health, the login itself, the panel's static files). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/**
 * The roles that may call a route (on a controller, or a method to override it). A route with
 * neither @Public nor @Roles is for admins only: forgetting a decorator fails closed.
 */
export function Roles(...roles: ApiRole[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ROUTE_ROLES, roles),
    ApiBearerAuth(),
    ApiCookieAuth(SESSION_COOKIE),
    ApiExtension('x-brier-roles', roles),
    ApiUnauthorizedResponse({ type: ApiErrorDto, description: 'No token, or an unknown or revoked one.' }),
    ApiForbiddenResponse({ type: ApiErrorDto, description: `For ${roles.join(', ')} only.` }),
  );
}

/** A researcher may use this route only on runs it submitted (the `param` route parameter). */
export const OwnRun = (param = 'id'): MethodDecorator => SetMetadata(OWN_RUN_PARAM, param);

/**
 * What an agent token must own for this route: the run (ever leased to one of its agents), the
 * agent (registered by it), the agent named in a claim's body, or the name it registers.
 */
export type AgentScope =
  | { kind: 'run'; param: string }
  | { kind: 'agent'; param: string }
  | { kind: 'claim' }
  | { kind: 'register' };

export const AgentScoped = (scope: AgentScope): MethodDecorator => SetMetadata(AGENT_SCOPE, scope);

/** Counted against the caller's token by the limit of that name (auth/rate-limits.ts). */
export type RateLimitName = 'submit' | 'ingest';

export const RateLimited = (name: RateLimitName): MethodDecorator =>
  applyDecorators(
    SetMetadata(RATE_LIMITED, name),
    ApiTooManyRequestsResponse({
      type: ApiErrorDto,
      description: "Over this token's rate limit: Retry-After.",
    }),
  );

/** The caller (a handler parameter); routes behind the guard always have one. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const principal = principalOf(context.switchToHttp().getRequest<AuthenticatedRequest>());
    if (!principal) throw new Error('CurrentPrincipal on a route the access guard did not authenticate');
    return principal;
  },
);
