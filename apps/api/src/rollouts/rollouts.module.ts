import { RolloutQueryRepository, RolloutStreamIngestRepository } from '@brier/database';
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { loadRolloutLimits, RolloutLimitsConfig } from './rollout-limits.config.js';
import { RolloutIngestService } from './rollout-ingest.service.js';
import { RolloutQueryService } from './rollout-query.service.js';
import { ExportSlots, IngestSlots } from './rollout-slots.js';
import { RolloutsController } from './rollouts.controller.js';

const REPOSITORIES = [RolloutStreamIngestRepository, RolloutQueryRepository];

/**
 * Rollouts in and out under /v1/runs/{id}: ingestion (NDJSON, streamed, one transaction per batch)
 * and reads (pages, streamed CSV/JSONL exports, samples). Its limits come from the environment
 * (RolloutLimitsConfig); ImportsModule shares its ingestion slots and repository.
 */
@Module({
  controllers: [RolloutsController],
  providers: [
    { provide: RolloutLimitsConfig, useFactory: () => loadRolloutLimits() },
    ...REPOSITORIES.map((repository) => ({
      provide: repository,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new repository(dataSource),
    })),
    IngestSlots,
    ExportSlots,
    RolloutIngestService,
    RolloutQueryService,
  ],
  exports: [RolloutLimitsConfig, IngestSlots, RolloutStreamIngestRepository],
})
export class RolloutsModule {}
