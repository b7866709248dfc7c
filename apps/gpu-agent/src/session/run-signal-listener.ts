import { createRedisClient, type RedisClient } from '@brier/config';
import { runSignalsChannel } from '@brier/contracts';
import { Injectable, Logger } from '@nestjs/common';

import { AgentConfig } from '../config/agent.config.js';
import { HeldRuns } from '../runs/held-runs.js';
import { AgentSession } from './agent-session.service.js';

/**
 * Listens on the API's run-signals channel: when a run this agent holds is named (a cancel was
 * requested), it heartbeats at once, and the heartbeat's answer (from Postgres) says what to do.
 * So a cancel lands in about a second instead of up to a heartbeat interval. Only a hint: a
 * message lost while Redis is away costs at most one interval.
 */
@Injectable()
export class RunSignalListener {
  private readonly logger = new Logger(RunSignalListener.name);
  private subscriber: RedisClient | null = null;

  constructor(
    private readonly config: AgentConfig,
    private readonly held: HeldRuns,
    private readonly session: AgentSession,
  ) {}

  start(): void {
    if (this.subscriber) return;
    const channel = runSignalsChannel(this.config.BRIER_QUEUE_PREFIX);
    // A subscriber connection: it retries forever in the background, and re-subscribes itself
    // after a reconnect (ioredis autoResubscribe).
    const subscriber = createRedisClient(this.config, {
      connectionName: `brier-agent-${this.config.AGENT_NAME}-signals`,
      maxRetriesPerRequest: null,
    });
    this.subscriber = subscriber;
    let lastError = '';
    subscriber.on('error', (error: Error) => {
      if (error.message !== lastError) this.logger.warn(`Redis: ${error.message}`);
      lastError = error.message;
    });
    subscriber.on('message', (_channel: string, runId: string) => {
      if (this.held.get(runId) === undefined) return;
      this.session.beat().catch((error: unknown) => {
        this.logger.warn(`heartbeat after a signal for run ${runId}: ${(error as Error).message}`);
      });
    });
    subscriber.subscribe(channel).catch((error: unknown) => {
      this.logger.warn(
        `not subscribed to ${channel} (${(error as Error).message}); cancels arrive with heartbeats`,
      );
    });
  }

  async stop(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = null;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }
}
