import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';

import { ApiConfig } from '../config/api.config.js';

/** Answers whether Postgres takes queries. Swappable: the database layer will provide its own. */
export abstract class PostgresProbe {
  /** Resolves when Postgres answered a trivial query; rejects otherwise. */
  abstract ping(): Promise<void>;
}

/** A two-connection `pg` pool used only for health checks, with short timeouts. */
@Injectable()
export class PgPostgresProbe extends PostgresProbe implements OnApplicationShutdown {
  private readonly logger = new Logger(PgPostgresProbe.name);
  private readonly pool: pg.Pool;

  constructor(config: ApiConfig) {
    super();
    this.pool = new pg.Pool({
      connectionString: config.DATABASE_URL,
      application_name: 'brier-api-health',
      max: 2,
      connectionTimeoutMillis: 1_000,
      query_timeout: 1_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client's error (e.g. Postgres restarted) is emitted here; unhandled, it would crash the process.
    this.pool.on('error', (error) => this.logger.warn(`idle Postgres connection failed: ${error.message}`));
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
