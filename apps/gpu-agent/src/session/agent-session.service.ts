import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

import { Injectable, Logger } from '@nestjs/common';

import { AgentApiClient } from '../api-client/agent-api.client.js';
import { ApiAuthError, ApiConflictError, ApiUnavailableError } from '../api-client/api-errors.js';
import { retryWhileUnavailable } from '../api-client/retry.js';
import { AgentConfig } from '../config/agent.config.js';
import { GpuInventoryService } from '../gpus/gpu-inventory.service.js';
import { exitAgent } from '../lifecycle/exit-agent.js';
import { HeldRuns } from '../runs/held-runs.js';
import { AGENT_VERSION } from './agent-version.js';

/** How long boot waits for the API to answer the registration before the agent gives up. */
const REGISTER_DEADLINE_MS = 60 * 60_000;

export interface AgentIdentity {
  agentId: string;
  incarnation: string;
}

/**
 * This process's identity with the API: it registers (a new incarnation per process start, which
 * voids the leases of the previous one), then heartbeats every interval the API asks for, reporting
 * the GPUs and every held run with its lease. The answers stop runs: `cancel` (a user asked) and
 * `revoked` (the lease is no longer ours: reaped, re-claimed, deleted).
 */
@Injectable()
export class AgentSession {
  private readonly logger = new Logger(AgentSession.name);
  private identity: AgentIdentity | null = null;
  private intervalMs = 10_000;
  private leaseTimeoutMs = 30_000;
  private lastAcknowledged = Date.now();
  private loop: Promise<void> | null = null;
  private readonly stopping = new AbortController();
  private drainingBecause: string | null = null;

  constructor(
    private readonly config: AgentConfig,
    private readonly client: AgentApiClient,
    private readonly gpus: GpuInventoryService,
    private readonly held: HeldRuns,
  ) {}

  get registered(): boolean {
    return this.identity !== null;
  }

  get current(): AgentIdentity {
    if (!this.identity) throw new Error('the agent has not registered with the API yet');
    return this.identity;
  }

  /** Registers (waiting for the API with a deadline); afterwards the identity is current. */
  async register(): Promise<AgentIdentity> {
    await this.gpus.refresh();
    const answer = await retryWhileUnavailable(
      () =>
        this.client.register({
          name: this.config.AGENT_NAME,
          hostname: hostname(),
          version: AGENT_VERSION,
          primeRlVersion: this.config.PRIME_RL_VERSION,
          labels: this.config.AGENT_LABELS,
          gpus: this.gpus.report(),
        }),
      { deadlineMs: REGISTER_DEADLINE_MS, signal: this.stopping.signal },
    );
    this.identity = { agentId: answer.agentId, incarnation: answer.incarnation };
    this.intervalMs = answer.heartbeatIntervalMs;
    this.leaseTimeoutMs = answer.leaseTimeoutMs;
    this.lastAcknowledged = Date.now();
    this.logger.log(
      `registered as agent ${answer.agentId} (incarnation ${answer.incarnation}, ${this.gpus.current.length} GPU(s)); ` +
        `${answer.voidedRunIds.length} run(s) of the previous incarnation were handed back`,
    );
    return this.identity;
  }

  /**
   * Takes this agent out of service (a child it cannot kill holds a GPU): the heartbeat says so and
   * the API refuses its claims until an operator restarts it.
   */
  drain(reason: string): void {
    if (this.drainingBecause !== null) return;
    this.drainingBecause = reason;
    this.logger.error(`draining: no new runs until this agent is restarted (${reason})`);
  }

  /** Heartbeats until stop(); each waits for the previous one (never two in flight). */
  startHeartbeats(): void {
    this.loop ??= this.heartbeatLoop();
  }

  /** Stops heartbeating (and any registration still waiting for the API). Idempotent. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  /** One heartbeat now (also used right after a run starts or stops, so the API knows sooner). */
  async beat(): Promise<void> {
    const { agentId, incarnation } = this.current;
    try {
      await this.gpus.refresh().catch((error: unknown) => {
        // A wedged driver must not stop the heartbeat that keeps the leases alive.
        this.logger.warn(`nvidia-smi failed; reporting the last inventory: ${messageOf(error)}`);
      });
      const runs = this.held.heartbeatRuns();
      const answer = await this.client.heartbeat(agentId, {
        incarnation,
        gpus: this.gpus.report(),
        runs,
        status: this.drainingBecause === null ? 'online' : 'draining',
      });
      this.lastAcknowledged = Date.now();
      this.intervalMs = answer.heartbeatIntervalMs;
      for (const runId of answer.cancel) {
        if (this.held.requestStop(runId, 'cancel')) this.logger.log(`run ${runId}: cancel requested`);
      }
      for (const runId of answer.revoked) {
        // The answer is about the leases sent: a run claimed again since keeps its new lease.
        const sent = runs.find((run) => run.runId === runId)?.leaseToken;
        if (sent !== undefined && this.held.requestStop(runId, 'revoked', sent)) {
          this.logger.warn(`run ${runId}: lease revoked`);
        }
      }
    } catch (error) {
      if (error instanceof ApiAuthError) {
        // Revoked or wrong token: no lease can be kept, so running on would only burn GPUs.
        this.logger.error(
          `the API refuses this agent's token (${error.message}): stopping its runs and exiting; ` +
            'give it a valid agent token (AGENT_API_TOKEN)',
        );
        this.held.stopAll('revoked');
        exitAgent(1);
        return;
      }
      if (error instanceof ApiConflictError && error.reason === 'stale-agent') {
        // The API no longer knows this incarnation: our leases are void. Stop everything, start over.
        this.logger.warn(
          'the API does not know this incarnation any more; stopping runs and registering again',
        );
        this.held.stopAll('revoked');
        await this.register();
        return;
      }
      if (!(error instanceof ApiUnavailableError)) throw error;
      const silentMs = Date.now() - this.lastAcknowledged;
      this.logger.warn(
        `heartbeat failed (${error.message}); no answer for ${Math.round(silentMs / 1000)} s` +
          (silentMs > this.leaseTimeoutMs
            ? ' — longer than the lease timeout: runs may have been reaped'
            : ''),
      );
    }
  }

  private async heartbeatLoop(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      await sleep(this.intervalMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      await this.beat().catch((error: unknown) => {
        this.logger.error(`heartbeat: ${messageOf(error)}`);
      });
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
