import { createRedisClient, type RedisClient } from '@brier/config';
import { QUEUES } from '@brier/contracts';
import { getQueueToken } from '@nestjs/bullmq';
import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';

import { ApiConfig } from '../config/api.config.js';
import { withDeadline } from '../health/deadline.js';
import { EvictionPolicyCheck } from './eviction-policy.check.js';
import { QueueAdminController } from './queue-admin.controller.js';
import { QueueRedis } from './queue-redis.js';
import { RunEnqueuer } from './run-enqueuer.js';
import { RunReconciler } from './run-reconciler.js';
import { RunSignals } from './run-signals.js';

const RUNS_QUEUE = getQueueToken(QUEUES.runs);
const RUNS_QUEUE_REDIS = Symbol('RUNS_QUEUE_REDIS');

/**
 * The runs queue's connection (createRedisClient: TLS, password, cluster). Producers fail fast
 * (BullMQ's going-to-production guide): with the offline queue off, an add rejects at once instead
 * of hanging the HTTP request; the caller answers 503 and the run stays queued in Postgres for the
 * reconciler.
 */
function createRunsQueueRedis(config: ApiConfig): RedisClient {
  return createRedisClient(config, {
    connectionName: 'brier-api-runs-queue',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
}

/**
 * The runs queue, produced into by the API (`@InjectQueue(QUEUES.runs)` works as usual).
 * Built here rather than by BullModule.registerQueue so its 'error' listener is attached in the
 * same tick as the constructor: a Redis that is down at boot must not crash the API.
 */
function createRunsQueue(config: ApiConfig, connection: RedisClient): Queue {
  const logger = new Logger('RunsQueue');
  const queue = new Queue(QUEUES.runs, { prefix: config.BRIER_QUEUE_PREFIX, connection });
  let lastError = '';
  queue.on('error', (error) => {
    // ioredis repeats the same error on every reconnect attempt: log each change once.
    if (error.message !== lastError) logger.warn(`Redis: ${error.message}`);
    lastError = error.message;
  });
  return queue;
}

/**
 * Closes the queue and then its connection on shutdown (BullMQ leaves a connection it was given
 * open). A graceful close sends QUIT, which fails while Redis is down (no offline queue) and would
 * leave the client reconnecting forever: then the connection is cut (ioredis stops reconnecting at
 * once, though it may never confirm, hence the deadline).
 */
@Injectable()
class QueueCloser implements OnApplicationShutdown {
  private readonly logger = new Logger('RunsQueue');

  constructor(
    @Inject(RUNS_QUEUE) private readonly queue: Queue,
    @Inject(RUNS_QUEUE_REDIS) private readonly connection: RedisClient,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    try {
      await withDeadline(this.queue.close(), 2_000, 'closing the runs queue');
      await withDeadline(this.connection.quit(), 1_000, 'closing the runs queue connection');
    } catch (error) {
      this.logger.warn(`runs queue not closed cleanly (${(error as Error).message}): disconnecting`);
      this.connection.disconnect();
    }
  }
}

/**
 * Also: RunEnqueuer (every operation on a run's job, bounded, for the runs API and the reaper),
 * the reconciler of queued runs without a job, the boot check of Redis's eviction policy, and
 * GET /v1/admin/queue.
 */
@Global()
@Module({
  controllers: [QueueAdminController],
  providers: [
    { provide: RUNS_QUEUE_REDIS, inject: [ApiConfig], useFactory: createRunsQueueRedis },
    { provide: RUNS_QUEUE, inject: [ApiConfig, RUNS_QUEUE_REDIS], useFactory: createRunsQueue },
    QueueCloser,
    QueueRedis,
    EvictionPolicyCheck,
    RunEnqueuer,
    RunReconciler,
    RunSignals,
  ],
  exports: [RUNS_QUEUE, RunEnqueuer, RunSignals],
})
export class QueueModule {}
