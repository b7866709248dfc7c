import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';

import { ApiConfig } from '../config/api.config.js';
import { withDeadline } from './deadline.js';

/** Answers whether Redis takes commands. Swappable: the queue layer will provide its own. */
export abstract class RedisProbe {
  /** Resolves when Redis answered PING; rejects otherwise. */
  abstract ping(): Promise<void>;
}

const CONNECT_DEADLINE_MS = 1_000;

/**
 * An ioredis client used only for health checks. It fails fast instead of queueing commands
 * while disconnected (`enableOfflineQueue: false`) and keeps reconnecting in the background.
 */
@Injectable()
export class IoredisRedisProbe extends RedisProbe implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(IoredisRedisProbe.name);
  private readonly client: Redis;
  private lastError: string | undefined;

  constructor(config: ApiConfig) {
    super();
    this.client = new Redis(config.REDIS_URL, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: CONNECT_DEADLINE_MS,
      commandTimeout: 1_000,
      connectionName: 'brier-api-health',
      retryStrategy: (attempt) => Math.min(attempt * 250, 5_000),
    });
    this.client.on('error', (error: Error) => {
      // Log each new kind of failure once, not every reconnect attempt.
      if (error.message === this.lastError) return;
      this.lastError = error.message;
      this.logger.warn(`Redis connection failed: ${error.message}`);
    });
    this.client.on('ready', () => {
      if (this.lastError !== undefined) this.logger.log('Redis connection restored');
      this.lastError = undefined;
    });
  }

  /** Connects once at boot, but never holds the boot up for longer than a second. */
  async onModuleInit(): Promise<void> {
    try {
      await withDeadline(this.client.connect(), CONNECT_DEADLINE_MS, 'Redis connect');
    } catch {
      // Reported by the 'error' listener; the client keeps retrying and /health says "down".
    }
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  onApplicationShutdown(): void {
    this.client.disconnect();
  }
}
