import { Module } from '@nestjs/common';

import { CompareController, MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/**
 * Metrics reads: /v1/runs/{id}/metrics (+ .csv), /reliability, /steps/{step}/metrics, /ensembles and
 * /v1/compare. Every number comes from metrics.sql.ts (libs/database) through the global
 * DatabaseModule's MetricsRepository.
 */
@Module({
  controllers: [MetricsController, CompareController],
  providers: [MetricsService],
})
export class MetricsModule {}
