import { Module, type DynamicModule } from '@nestjs/common';

import { AgentConfigModule } from './config/agent-config.module.js';
import { AgentConfig } from './config/agent.config.js';
import { LivenessService } from './liveness/liveness.service.js';

@Module({})
export class AgentModule {
  /** The whole agent for one validated configuration. */
  static register(config: AgentConfig): DynamicModule {
    return {
      module: AgentModule,
      imports: [AgentConfigModule.forValue(config)],
      providers: [LivenessService],
    };
  }
}
