import { MetricsQueryRepository } from '@brier/database';
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { CompareController, MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/**
 * Metrics reads: /v1/runs/{id}/metrics (+ .csv), /reliability, /steps/{step}/metrics, /ensembles and
 * /v1/compare. Every number comes from metrics.sql.ts (libs/database) through the global
 * DatabaseModule's MetricsRepository and this module's MetricsQueryRepository.
 */
@Module({
  controllers: [MetricsController, CompareController],
  providers: [
    {
      provide: MetricsQueryRepository,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new MetricsQueryRepository(dataSource),
    },
    MetricsService,
  ],
})
export class MetricsModule {}
