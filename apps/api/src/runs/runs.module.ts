import {
  RunControlRepository,
  RunHistoryRepository,
  RunSearchRepository,
  RunSubmitRepository,
} from '@brier/database';
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { RunControlService } from './run-control.service.js';
import { RunQueryService } from './run-query.service.js';
import { RunSubmitService } from './run-submit.service.js';
import { RunsController } from './runs.controller.js';

const REPOSITORIES = [RunControlRepository, RunHistoryRepository, RunSearchRepository, RunSubmitRepository];

/**
 * The researcher-facing runs API under /v1/runs. Uses the global DatabaseModule (DataSource,
 * RunRepository) and QueueModule (RunEnqueuer).
 */
@Module({
  controllers: [RunsController],
  providers: [
    ...REPOSITORIES.map((repository) => ({
      provide: repository,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new repository(dataSource),
    })),
    RunSubmitService,
    RunControlService,
    RunQueryService,
  ],
})
export class RunsModule {}
