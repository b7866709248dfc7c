import { Module, type DynamicModule } from '@nestjs/common';

import { AgentsModule } from './agents/agents.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ApiConfigModule } from './config/api-config.module.js';
import { ApiConfig } from './config/api.config.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { ConnectionDrain } from './http/connection-drain.js';
import { QueueModule } from './queue/queue.module.js';
import { RunsModule } from './runs/runs.module.js';
import { RolloutsModule } from './rollouts/rollouts.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ImportsModule } from './imports/imports.module.js';
import { LiveModule } from './live/live.module.js';
import { AdminModule } from './admin/admin.module.js';
import { PresetsModule } from './presets/presets.module.js';

@Module({})
export class AppModule {
  /** The whole API for one validated configuration. */
  static register(config: ApiConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ApiConfigModule.forValue(config),
        DatabaseModule,
        QueueModule,
        AuthModule,
        HealthModule,
        // Feature modules: one line each.
        LiveModule, // before RunsModule, whose /v1/runs/{id} would take /v1/runs/live
        RunsModule,
        AgentsModule,
        RolloutsModule,
        MetricsModule,
        ImportsModule,
        AdminModule,
        PresetsModule,
      ],
      providers: [ConnectionDrain],
    };
  }
}
