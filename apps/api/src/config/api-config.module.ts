import { Global, Module, type DynamicModule } from '@nestjs/common';

import { ApiConfig } from './api.config.js';

/** Makes the validated `ApiConfig` injectable everywhere, as a value. */
@Global()
@Module({})
export class ApiConfigModule {
  static forValue(config: ApiConfig): DynamicModule {
    return {
      module: ApiConfigModule,
      providers: [{ provide: ApiConfig, useValue: config }],
      exports: [ApiConfig],
    };
  }
}
