import type {
  AgentHeartbeatDto,
  AgentHeartbeatResponse,
  AgentStatusName,
  AgentView,
  RegisterAgentDto,
  RegisterAgentResponse,
} from '@brier/contracts';
import { AgentRepository } from '@brier/database';
import { Injectable, Logger } from '@nestjs/common';

import { apiError } from '../http/api-error.js';
import { AgentTiming } from './agent-timing.js';
import { staleAgentError } from './lease-errors.js';
import { RunRequeuer } from './run-requeuer.js';

/** Registration, heartbeats and the fleet view. */
@Injectable()
export class AgentRegistryService {
  private readonly logger = new Logger('Agents');

  constructor(
    private readonly agents: AgentRepository,
    private readonly requeuer: RunRequeuer,
    private readonly timing: AgentTiming,
  ) {}

  /**
   * A new incarnation for the agent's name; the runs its previous incarnation held are lost at
   * once and re-queued here (the reaper's next pass does it if this fails).
   */
  async register(dto: RegisterAgentDto, tokenId: string | null): Promise<RegisterAgentResponse> {
    const registered = await this.agents.register({
      tokenId,
      name: dto.name,
      hostname: dto.hostname,
      version: dto.version,
      primeRlVersion: dto.primeRlVersion ?? null,
      labels: dto.labels,
      gpus: dto.gpus,
    });
    if (registered.voidedRunIds.length > 0) {
      this.logger.warn(
        `agent ${dto.name} registered again: runs ${registered.voidedRunIds.join(', ')} of its previous incarnation are lost`,
      );
      await this.requeuer
        .requeueLost(registered.voidedRunIds.length, { onlyIds: registered.voidedRunIds, actor: 'api' })
        .catch((error: unknown) => {
          this.logger.warn(
            `re-queueing the runs of ${dto.name} is left to the reaper: ${(error as Error).message}`,
          );
        });
    }
    return {
      agentId: registered.agentId,
      incarnation: registered.incarnation,
      heartbeatIntervalMs: this.timing.heartbeatIntervalMs,
      leaseTimeoutMs: this.timing.leaseTimeoutMs,
      voidedRunIds: registered.voidedRunIds,
    };
  }

  /** 409 stale-agent when the agent is unknown or the incarnation is not its current one. */
  async heartbeat(agentId: string, dto: AgentHeartbeatDto): Promise<AgentHeartbeatResponse> {
    const result = await this.agents.heartbeat(agentId, {
      incarnation: dto.incarnation,
      gpus: dto.gpus,
      runs: dto.runs,
      ...(dto.status === undefined ? {} : { status: dto.status }),
    });
    if (!result.ok) throw staleAgentError(agentId);
    return {
      ok: true,
      cancel: result.cancel,
      revoked: result.revoked,
      heartbeatIntervalMs: this.timing.heartbeatIntervalMs,
    };
  }

  list(status?: AgentStatusName): Promise<AgentView[]> {
    return this.agents.list(status === undefined ? {} : { status });
  }

  async get(agentId: string): Promise<AgentView> {
    const agent = await this.agents.findView(agentId);
    if (!agent) throw apiError(404, `agent ${agentId} not found`);
    return agent;
  }
}
