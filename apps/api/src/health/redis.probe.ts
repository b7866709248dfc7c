import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';

import { ApiConfig } from '../config/api.config.js';
import { FailFastRedis } from './fail-fast-redis.js';

/** Answers whether Redis takes commands. Swappable: the queue layer will provide its own. */
export abstract class RedisProbe {
  /** Resolves when Redis answered PING; rejects otherwise. */
  abstract ping(): Promise<void>;
}

/**
 * A Redis connection used only for health checks (FailFastRedis: a PING fails at once while
 * Redis is down, and /health says "down", instead of waiting for a reconnect).
 */
@Injectable()
export class IoredisRedisProbe extends RedisProbe implements OnModuleInit, OnApplicationShutdown {
  private readonly connection: FailFastRedis;

  constructor(config: ApiConfig) {
    super();
    this.connection = new FailFastRedis(config, 'brier-api-health', new Logger(IoredisRedisProbe.name));
  }

  /** Connects once at boot, but never holds the boot up for longer than a second. */
  async onModuleInit(): Promise<void> {
    await this.connection.connect();
  }

  async ping(): Promise<void> {
    await this.connection.client.ping();
  }

  onApplicationShutdown(): void {
    this.connection.disconnect();
  }
}
