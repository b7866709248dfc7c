import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';

import { ApiConfig } from '../config/api.config.js';
import { withDeadline } from '../health/deadline.js';

const CONNECT_DEADLINE_MS = 1_000;

/**
 * The queue layer's own Redis connection, for what BullMQ's Queue does not do: the boot check of
 * the eviction policy and the reconciler's cross-instance lock. Fails fast like the Queue
 * (no offline queue, one retry, 1 s timeouts) and keeps reconnecting in the background; it never
 * holds the boot up for more than a second.
 */
@Injectable()
export class QueueRedis implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('QueueRedis');
  readonly client: Redis;
  private lastError: string | undefined;

  constructor(config: ApiConfig) {
    this.client = new Redis(config.REDIS_URL, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: CONNECT_DEADLINE_MS,
      commandTimeout: 1_000,
      connectionName: 'brier-api-queue',
      retryStrategy: (attempt) => Math.min(attempt * 250, 5_000),
    });
    this.client.on('error', (error: Error) => {
      // ioredis repeats the same error on every reconnect attempt: log each change once.
      if (error.message === this.lastError) return;
      this.lastError = error.message;
      this.logger.warn(`Redis connection failed: ${error.message}`);
    });
    this.client.on('ready', () => {
      if (this.lastError !== undefined) this.logger.log('Redis connection restored');
      this.lastError = undefined;
    });
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  async onModuleInit(): Promise<void> {
    try {
      await withDeadline(this.client.connect(), CONNECT_DEADLINE_MS, 'Redis connect');
    } catch {
      // Logged by the 'error' listener; the client keeps retrying.
    }
  }

  onApplicationShutdown(): void {
    this.client.disconnect();
  }
}
