import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { RedisClient } from '@brier/config';

import { ApiConfig } from '../config/api.config.js';
import { FailFastRedis } from '../health/fail-fast-redis.js';

/**
 * The queue layer's own Redis connection, for what BullMQ's Queue does not do: the boot check of
 * the eviction policy and the reconciler's cross-instance lock. Fails fast like the Queue, and
 * keeps reconnecting in the background (FailFastRedis).
 */
@Injectable()
export class QueueRedis implements OnModuleInit, OnApplicationShutdown {
  private readonly connection: FailFastRedis;

  constructor(config: ApiConfig) {
    this.connection = new FailFastRedis(config, 'brier-api-queue', new Logger('QueueRedis'));
  }

  get client(): RedisClient {
    return this.connection.client;
  }

  get ready(): boolean {
    return this.connection.ready;
  }

  async onModuleInit(): Promise<void> {
    await this.connection.connect();
  }

  onApplicationShutdown(): void {
    this.connection.disconnect();
  }
}
