import { createRedisClient, type RedisClient, type RedisConfig } from '@brier/config';
import type { Logger } from '@nestjs/common';

import { withDeadline } from './deadline.js';

const CONNECT_DEADLINE_MS = 1_000;

/**
 * How the API opens a Redis connection of its own (createRedisClient: TLS, password, cluster): it fails fast
 * instead of queueing commands while disconnected (no offline queue, one retry, 1 s timeouts),
 * keeps reconnecting in the background with a capped backoff, logs each new kind of failure once
 * (ioredis repeats the same error on every reconnect attempt), and never holds the boot up for
 * more than a second.
 */
export class FailFastRedis {
  readonly client: RedisClient;
  private lastError: string | undefined;

  /** `connectionName` shows in Redis's CLIENT LIST; `logger` names the owner in the logs. */
  constructor(config: RedisConfig, connectionName: string, logger: Logger) {
    this.client = createRedisClient(config, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: CONNECT_DEADLINE_MS,
      commandTimeout: 1_000,
      connectionName,
      retryStrategy: (attempt) => Math.min(attempt * 250, 5_000),
    });
    this.client.on('error', (error: Error) => {
      if (error.message === this.lastError) return;
      this.lastError = error.message;
      logger.warn(`Redis connection failed: ${error.message}`);
    });
    this.client.on('ready', () => {
      if (this.lastError !== undefined) logger.log('Redis connection restored');
      this.lastError = undefined;
    });
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** Connect, waiting at most a second: a failure is logged by the 'error' listener, and retried. */
  async connect(): Promise<void> {
    try {
      await withDeadline(this.client.connect(), CONNECT_DEADLINE_MS, 'Redis connect');
    } catch {
      // Reported by the 'error' listener; the client keeps retrying.
    }
  }

  disconnect(): void {
    this.client.disconnect();
  }
}
