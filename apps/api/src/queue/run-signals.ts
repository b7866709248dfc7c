import { runSignalsChannel } from '@brier/contracts';
import { Injectable, Logger } from '@nestjs/common';

import { ApiConfig } from '../config/api.config.js';
import { withDeadline } from '../health/deadline.js';
import { QueueRedis } from './queue-redis.js';

const PUBLISH_DEADLINE_MS = 1_000;

/**
 * Tells agents to look at a run now (Redis pub/sub), so a cancel reaches its agent in well under
 * a heartbeat interval. Best effort by design: Postgres holds the request, and the agent's next
 * heartbeat delivers it anyway if this message is lost or Redis is down.
 */
@Injectable()
export class RunSignals {
  private readonly logger = new Logger(RunSignals.name);
  private readonly channel: string;

  constructor(
    config: ApiConfig,
    private readonly redis: QueueRedis,
  ) {
    this.channel = runSignalsChannel(config.BRIER_QUEUE_PREFIX);
  }

  /** Never rejects: a failure is logged, and the heartbeat carries the news instead. */
  async nudge(runId: string): Promise<void> {
    try {
      await withDeadline(this.redis.client.publish(this.channel, runId), PUBLISH_DEADLINE_MS, 'run signal');
    } catch (error) {
      this.logger.warn(
        `run ${runId}: agents not signalled (${(error as Error).message}); they learn at their next heartbeat`,
      );
    }
  }
}
