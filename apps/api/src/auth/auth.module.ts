import { AgentAccessRepository, ApiTokenRepository } from '@brier/database';
import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DataSource } from 'typeorm';

import { AccessGuard } from './access.guard.js';
import { AgentScopeCheck } from './agent-scope.check.js';
import { PrincipalResolver } from './principal-resolver.js';
import { RateLimits } from './rate-limits.js';
import { SessionController } from './session.controller.js';
import { TokenRevocationListener } from './token-revocation-listener.js';
import { TokensController } from './tokens.controller.js';

const REPOSITORIES = [ApiTokenRepository, AgentAccessRepository];

/**
 * Access control (docs/security.md): API tokens and roles, checked on every route by one global
 * guard (AccessGuard); the panel's session cookie; per-token rate limits; token management.
 */
@Global()
@Module({
  controllers: [SessionController, TokensController],
  providers: [
    ...REPOSITORIES.map((repository) => ({
      provide: repository,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new repository(dataSource),
    })),
    PrincipalResolver,
    TokenRevocationListener,
    AgentScopeCheck,
    RateLimits,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [PrincipalResolver],
})
export class AuthModule {}
