import { AgentRepository, CheckpointRepository, RunLeaseRepository } from '@brier/database';
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { RunLogsModule } from '../run-logs/run-logs.module.js';
import { AgentRegistryService } from './agent-registry.service.js';
import { AgentTiming } from './agent-timing.js';
import { AgentsController } from './agents.controller.js';
import { RunLeaseController } from './run-lease.controller.js';
import { RunLeaseService } from './run-lease.service.js';
import { RunReaper } from './run-reaper.js';
import { RunRequeuer } from './run-requeuer.js';

const REPOSITORIES = [AgentRepository, RunLeaseRepository, CheckpointRepository];

/**
 * The agent-facing API (register, heartbeat, claim, progress, events, checkpoints, finish; the
 * logs agents ship come with RunLogsModule), GET /v1/agents, and the reaper of silent runs.
 */
@Module({
  imports: [RunLogsModule],
  controllers: [AgentsController, RunLeaseController],
  providers: [
    ...REPOSITORIES.map((repository) => ({
      provide: repository,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new repository(dataSource),
    })),
    AgentTiming,
    AgentRegistryService,
    RunLeaseService,
    RunRequeuer,
    RunReaper,
  ],
  exports: [RunReaper, RunRequeuer],
})
export class AgentsModule {}
