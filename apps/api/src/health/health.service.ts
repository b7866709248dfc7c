import { Inject, Injectable, Logger, Optional } from '@nestjs/common';

import { withDeadline } from './deadline.js';
import { PostgresProbe } from './postgres.probe.js';
import { RedisProbe } from './redis.probe.js';

export type DependencyState = 'up' | 'down';

export interface HealthReport {
  status: 'ok' | 'error';
  postgres: DependencyState;
  redis: DependencyState;
}

/** How long each dependency gets to answer (injectable so tests can shorten it). */
export const HEALTH_PROBE_DEADLINE_MS = Symbol('HEALTH_PROBE_DEADLINE_MS');
const DEFAULT_DEADLINE_MS = 1_000;

@Injectable()
export class HealthService {
  private readonly logger = new Logger(HealthService.name);

  constructor(
    private readonly postgres: PostgresProbe,
    private readonly redis: RedisProbe,
    @Optional() @Inject(HEALTH_PROBE_DEADLINE_MS) private readonly deadlineMs: number = DEFAULT_DEADLINE_MS,
  ) {}

  /** Pings Postgres and Redis in parallel; each is "down" if it fails or misses the deadline. */
  async check(): Promise<HealthReport> {
    const [postgres, redis] = await Promise.all([
      this.probe('postgres', () => this.postgres.ping()),
      this.probe('redis', () => this.redis.ping()),
    ]);
    return { status: postgres === 'up' && redis === 'up' ? 'ok' : 'error', postgres, redis };
  }

  private async probe(name: string, ping: () => Promise<void>): Promise<DependencyState> {
    try {
      await withDeadline(ping(), this.deadlineMs, name);
      return 'up';
    } catch (error) {
      this.logger.warn(`${name} is down: ${error instanceof Error ? error.message : String(error)}`);
      return 'down';
    }
  }
}
