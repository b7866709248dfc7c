import {
  createDataSource,
  MetricsRepository,
  OrchestratorStepRepository,
  RolloutIngestRepository,
  RunRepository,
} from '@brier/database';
import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';

import { ApiConfig } from '../config/api.config.js';

const MAX_RETRY_DELAY_MS = 10_000;

/**
 * Connects the DataSource without blocking boot: a Postgres that is down when the API starts
 * makes /health answer 503 and database-backed routes fail, until a retry (1 s doubling to 10 s)
 * connects. Closes the pool on shutdown, after in-flight requests finish.
 */
@Injectable()
class DataSourceLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private readonly stop = new AbortController();

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    if (await this.tryConnect()) return;
    void this.retry();
  }

  private async tryConnect(): Promise<boolean> {
    try {
      await this.dataSource.initialize();
      return true;
    } catch (error) {
      this.logger.warn(`Postgres unavailable: ${(error as Error).message}`);
      return false;
    }
  }

  private async retry(): Promise<void> {
    for (let delay = 1000; !this.stop.signal.aborted; delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS)) {
      try {
        await sleep(delay, undefined, { signal: this.stop.signal, ref: false });
      } catch {
        return; // shutting down
      }
      if (await this.tryConnect()) {
        this.logger.log('Postgres connected');
        return;
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stop.abort();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

const REPOSITORIES = [RunRepository, RolloutIngestRepository, MetricsRepository, OrchestratorStepRepository];

/**
 * Postgres, the source of truth: one TypeORM DataSource for the process and the libs/database
 * repositories built on it. Feature modules inject the repositories; none opens its own pool.
 */
@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [ApiConfig],
      useFactory: (config: ApiConfig) =>
        createDataSource(config.DATABASE_URL, { applicationName: 'brier-api' }),
    },
    ...REPOSITORIES.map((repository) => ({
      provide: repository,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new repository(dataSource),
    })),
    DataSourceLifecycle,
  ],
  exports: [DataSource, ...REPOSITORIES],
})
export class DatabaseModule {}
