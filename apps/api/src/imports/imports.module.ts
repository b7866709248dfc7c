import { ImportRunRepository } from '@brier/database';
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { RolloutsModule } from '../rollouts/rollouts.module.js';
import { ImportService } from './import.service.js';
import { ImportUploadInterceptor } from './import-upload.interceptor.js';
import { ImportsController } from './imports.controller.js';

/** POST /v1/imports: a results directory's files become an import run (uses RolloutsModule's ingestion). */
@Module({
  imports: [RolloutsModule],
  controllers: [ImportsController],
  providers: [
    {
      provide: ImportRunRepository,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new ImportRunRepository(dataSource),
    },
    ImportService,
    ImportUploadInterceptor,
  ],
})
export class ImportsModule {}
