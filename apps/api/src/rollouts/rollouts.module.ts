import { RolloutQueryRepository } from '@brier/database';
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { loadRolloutLimits, RolloutLimitsConfig } from './rollout-limits.config.js';
import { RolloutIngestService } from './rollout-ingest.service.js';
import { RolloutParsePool } from './rollout-parse-pool.js';
import { RolloutQueryService } from './rollout-query.service.js';
import { ExportSlots, IngestSlots } from './rollout-slots.js';
import { RolloutsController } from './rollouts.controller.js';

/**
 * Rollouts in and out under /v1/runs/{id}: ingestion (NDJSON, streamed, one transaction per batch,
 * through the global DatabaseModule's RolloutIngestRepository) and reads (pages, streamed CSV/JSONL
 * exports, samples). Its limits come from the environment (RolloutLimitsConfig); ImportsModule
 * shares its ingestion slots and parse workers.
 */
@Module({
  controllers: [RolloutsController],
  providers: [
    { provide: RolloutLimitsConfig, useFactory: () => loadRolloutLimits() },
    {
      provide: RolloutQueryRepository,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new RolloutQueryRepository(dataSource),
    },
    IngestSlots,
    ExportSlots,
    RolloutParsePool,
    RolloutIngestService,
    RolloutQueryService,
  ],
  exports: [RolloutLimitsConfig, IngestSlots, RolloutParsePool],
})
export class RolloutsModule {}
