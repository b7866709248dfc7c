import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import type { Observable } from 'rxjs';

import { RolloutLimitsConfig } from '../rollouts/rollout-limits.config.js';
import { UploadStorage } from './upload-storage.js';

/** Form fields of an import besides the files: few and short. */
const FIELD_LIMITS = { fields: 20, fieldSize: 4096, fieldNameSize: 100, files: 20, parts: 50 } as const;

/**
 * Multer (through Nest's AnyFilesInterceptor) streaming every file of the request into a temporary
 * folder (UploadStorage), with the configured caps: IMPORT_MAX_FILE_BYTES per file and
 * IMPORT_MAX_TOTAL_BYTES in all (413), in IMPORT_TMP_DIR.
 */
@Injectable()
export class ImportUploadInterceptor implements NestInterceptor {
  private readonly inner: NestInterceptor;

  constructor(limits: RolloutLimitsConfig) {
    const Interceptor = AnyFilesInterceptor({
      storage: new UploadStorage({
        tmpDir: limits.IMPORT_TMP_DIR,
        maxTotalBytes: limits.IMPORT_MAX_TOTAL_BYTES,
      }),
      limits: { ...FIELD_LIMITS, fileSize: limits.IMPORT_MAX_FILE_BYTES },
    });
    this.inner = new Interceptor();
  }

  intercept(
    context: ExecutionContext,
    next: CallHandler,
  ): Observable<unknown> | Promise<Observable<unknown>> {
    return this.inner.intercept(context, next);
  }
}
