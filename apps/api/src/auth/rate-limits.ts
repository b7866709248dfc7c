import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

import { ApiConfig } from '../config/api.config.js';
import { FailFastRedis } from '../health/fail-fast-redis.js';
import type { RateLimitName } from './access.decorators.js';
import type { Principal } from './principal.js';

const WINDOW_SECONDS = 60;

/**
 * Per-token limits on submit (POST /v1/runs, /v1/imports) and ingest (POST /v1/runs/{id}/rollouts),
 * counted in Redis so every API replica shares them (fixed one-minute windows, keys under
 * BRIER_QUEUE_PREFIX). While Redis is unreachable each replica counts in memory instead, so an
 * outage neither blocks ingestion nor lifts the limits. 429 with Retry-After past a limit; a
 * limit of 0 turns it off.
 */
@Injectable()
export class RateLimits implements OnModuleInit, OnApplicationShutdown {
  private readonly redis: FailFastRedis;
  private readonly limiters = new Map<RateLimitName, RateLimiterRedis>();

  constructor(config: ApiConfig) {
    this.redis = new FailFastRedis(config, 'brier-api-ratelimit', new Logger('RateLimits'));
    const perMinute: Record<RateLimitName, number> = {
      submit: config.RATE_LIMIT_SUBMIT_PER_MINUTE,
      ingest: config.RATE_LIMIT_INGEST_PER_MINUTE,
    };
    for (const [name, points] of Object.entries(perMinute) as [RateLimitName, number][]) {
      if (points === 0) continue;
      this.limiters.set(
        name,
        new RateLimiterRedis({
          storeClient: this.redis.client,
          keyPrefix: `${config.BRIER_QUEUE_PREFIX}:ratelimit:${name}`,
          points,
          duration: WINDOW_SECONDS,
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory({ points, duration: WINDOW_SECONDS }),
        }),
      );
    }
  }

  async onModuleInit(): Promise<void> {
    if (this.limiters.size > 0) await this.redis.connect();
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }

  /** Count one request of `principal` against `name`'s limit: null if allowed, else seconds to wait. */
  async consume(name: RateLimitName, principal: Principal): Promise<number | null> {
    const limiter = this.limiters.get(name);
    if (!limiter) return null;
    try {
      await limiter.consume(principal.tokenId);
      return null;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    }
  }

  /** The limit's size, for messages. */
  perMinute(name: RateLimitName): number {
    return this.limiters.get(name)?.points ?? 0;
  }
}
