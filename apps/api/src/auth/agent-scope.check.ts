import { AgentAccessRepository } from '@brier/database';
import { Injectable } from '@nestjs/common';

import { apiError } from '../http/api-error.js';
import type { AgentScope } from './access.decorators.js';
import type { Principal } from './principal.js';

/** Remembered (run, token) pairs at most: a run once leased to a token's agent stays reachable. */
const MAX_REMEMBERED = 50_000;

export interface ScopeInput {
  params: Record<string, string | undefined>;
  body: unknown;
}

/**
 * The agent-token half of access control: an agent token acts only for its own agents and the
 * runs leased to them (apps/api/src/agents, the rollout and log ingestion). A run or agent that
 * does not exist passes, so the route answers its own 404 or 409; fencing by lease stays the
 * routes' job (a stale lease of the token's own agent still gets its 409).
 */
@Injectable()
export class AgentScopeCheck {
  /** `${runId} ${tokenId}` pairs known reachable: "was ever leased to" never becomes false. */
  private readonly reachable = new Set<string>();

  constructor(private readonly access: AgentAccessRepository) {}

  async check(scope: AgentScope, principal: Principal, input: ScopeInput): Promise<void> {
    switch (scope.kind) {
      case 'run':
        return this.checkRun(input.params[scope.param] ?? '', principal);
      case 'agent':
        return this.checkAgent(input.params[scope.param] ?? '', principal);
      case 'claim':
        return this.checkAgent(stringField(input.body, 'agentId') ?? '', principal);
      case 'register':
        return this.checkRegister(stringField(input.body, 'name'), principal);
    }
  }

  private async checkRun(runId: string, principal: Principal): Promise<void> {
    const key = `${runId} ${principal.tokenId}`;
    if (this.reachable.has(key)) return;
    const reach = await this.access.runReach(runId, principal.tokenId);
    if (reach === 'unreachable') throw apiError(403, `run ${runId} is not leased to an agent of this token`);
    if (reach === 'reachable') {
      if (this.reachable.size >= MAX_REMEMBERED) this.reachable.clear();
      this.reachable.add(key);
    }
  }

  private async checkAgent(agentId: string, principal: Principal): Promise<void> {
    const owner = await this.access.agentTokenId(agentId);
    if (owner !== undefined && owner !== principal.tokenId)
      throw apiError(403, `agent ${agentId} was registered with another token`);
  }

  private async checkRegister(name: string | undefined, principal: Principal): Promise<void> {
    if (name === undefined) return; // the body's validation answers 400
    if (principal.agentName !== null && name !== principal.agentName)
      throw apiError(403, `this token may register agent "${principal.agentName}" only`);
    if (await this.access.nameHeldByAnotherToken(name, principal.tokenId))
      throw apiError(403, `agent "${name}" is registered with another live token (revoke it, or use it)`);
  }
}

function stringField(body: unknown, field: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}
