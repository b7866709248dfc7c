import { Global, Module, type DynamicModule } from '@nestjs/common';

import { AgentConfig } from './agent.config.js';

/** Makes the validated `AgentConfig` injectable everywhere, as a value. */
@Global()
@Module({})
export class AgentConfigModule {
  static forValue(config: AgentConfig): DynamicModule {
    return {
      module: AgentConfigModule,
      providers: [{ provide: AgentConfig, useValue: config }],
      exports: [AgentConfig],
    };
  }
}
