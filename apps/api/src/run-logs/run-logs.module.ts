import { RunLogRepository } from '@brier/database';
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { RunLogListener } from './run-log-listener.js';
import { RunLogsController } from './run-logs.controller.js';
import { RunLogsService } from './run-logs.service.js';

/**
 * Run logs: POST /v1/runs/{id}/logs (agents, fenced and idempotent), GET …/logs (pages) and
 * GET …/logs/stream (SSE, live through one shared LISTEN connection).
 */
@Module({
  controllers: [RunLogsController],
  providers: [
    {
      provide: RunLogRepository,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new RunLogRepository(ds),
    },
    RunLogListener,
    RunLogsService,
  ],
  exports: [RunLogListener],
})
export class RunLogsModule {}
