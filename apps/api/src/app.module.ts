import { Module, type DynamicModule } from '@nestjs/common';

import { ApiConfigModule } from './config/api-config.module.js';
import { ApiConfig } from './config/api.config.js';
import { HealthModule } from './health/health.module.js';

@Module({})
export class AppModule {
  /** The whole API for one validated configuration. */
  static register(config: ApiConfig): DynamicModule {
    return { module: AppModule, imports: [ApiConfigModule.forValue(config), HealthModule] };
  }
}
