import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import { ApiConfig } from '../config/api.config.js';
import { QueueRedis } from './queue-redis.js';

/**
 * BullMQ is only correct on a Redis that never evicts keys (`maxmemory-policy noeviction`): an
 * evicted job or lock key loses work silently (reliability.md §2.6). Checked at boot and on every
 * reconnect. In production any other policy stops the API (at boot: it does not start; later: it
 * shuts down); elsewhere it is a warning. A Redis that cannot be asked (down, CONFIG disabled) is
 * a warning everywhere.
 */
@Injectable()
export class EvictionPolicyCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('EvictionPolicy');
  private booted = false;

  constructor(
    private readonly redis: QueueRedis,
    private readonly config: ApiConfig,
  ) {
    this.redis.client.on('ready', () => {
      if (this.booted) void this.check('reconnect');
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.booted = true;
    if (!this.redis.ready) {
      this.logger.warn('Redis is not reachable yet: its maxmemory-policy is checked once it connects');
      return;
    }
    await this.check('boot');
  }

  private async check(when: 'boot' | 'reconnect'): Promise<void> {
    let policy: string | undefined;
    try {
      const reply = (await this.redis.client.config('GET', 'maxmemory-policy')) as string[];
      policy = reply[1];
    } catch (error) {
      this.logger.warn(
        `cannot read Redis maxmemory-policy (${(error as Error).message}); make sure it is noeviction`,
      );
      return;
    }
    if (policy === 'noeviction') return;
    const problem =
      `Redis maxmemory-policy is "${policy ?? 'unset'}", but the job queue needs "noeviction" ` +
      '(evicted keys lose queued runs): set maxmemory-policy noeviction in redis.conf or with CONFIG SET';
    if (this.config.NODE_ENV !== 'production') {
      this.logger.warn(`${problem}. This would stop the API in production.`);
      return;
    }
    if (when === 'boot') throw new Error(`${problem}. Refusing to start in production.`);
    this.logger.error(`${problem}. Stopping the API (production).`);
    process.exitCode = 1;
    process.kill(process.pid, 'SIGTERM');
  }
}
