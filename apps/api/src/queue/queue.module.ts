import { QUEUES } from '@brier/contracts';
import { getQueueToken } from '@nestjs/bullmq';
import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';

import { ApiConfig } from '../config/api.config.js';

const RUNS_QUEUE = getQueueToken(QUEUES.runs);

/**
 * The runs queue, produced into by the API (`@InjectQueue(QUEUES.runs)` works as usual).
 * Built here rather than by BullModule.registerQueue so its 'error' listener is attached in the
 * same tick as the constructor: a Redis that is down at boot must not crash the API. Producers
 * fail fast (BullMQ's going-to-production guide): with the offline queue off, an add rejects at
 * once instead of hanging the HTTP request; the caller answers 503 and the run stays queued in
 * Postgres for the reconciler.
 */
function createRunsQueue(config: ApiConfig): Queue {
  const logger = new Logger('RunsQueue');
  const queue = new Queue(QUEUES.runs, {
    prefix: config.BRIER_QUEUE_PREFIX,
    connection: { url: config.REDIS_URL, enableOfflineQueue: false, maxRetriesPerRequest: 1 },
  });
  let lastError = '';
  queue.on('error', (error) => {
    // ioredis repeats the same error on every reconnect attempt: log each change once.
    if (error.message !== lastError) logger.warn(`Redis: ${error.message}`);
    lastError = error.message;
  });
  return queue;
}

@Injectable()
class QueueCloser implements OnApplicationShutdown {
  constructor(@Inject(RUNS_QUEUE) private readonly queue: Queue) {}

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}

@Global()
@Module({
  providers: [{ provide: RUNS_QUEUE, inject: [ApiConfig], useFactory: createRunsQueue }, QueueCloser],
  exports: [RUNS_QUEUE],
})
export class QueueModule {}
