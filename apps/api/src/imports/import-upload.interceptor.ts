import type { IncomingMessage } from 'node:http';

import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import type { Observable } from 'rxjs';

import { ROLLOUT_WIRE_LIMITS } from '@brier/contracts';

import { RolloutLimitsConfig } from '../rollouts/rollout-limits.config.js';
import { RolloutParsePool } from '../rollouts/rollout-parse-pool.js';
import { parseImportFields, readSpecOf } from './import-fields.js';
import { generationsRecordsOptions, RolloutPrefetch } from './rollout-prefetch.js';
import { ImportService, importOwner } from './import.service.js';
import { begunImportOf, UploadStorage } from './upload-storage.js';

/** Form fields of an import besides the files: few and short. */
const FIELD_LIMITS = { fields: 20, fieldSize: 4096, fieldNameSize: 100, files: 20, parts: 50 } as const;

/**
 * Multer (through Nest's AnyFilesInterceptor) streaming every file of the request into a temporary
 * folder (UploadStorage), with the configured caps: IMPORT_MAX_FILE_BYTES per file and
 * IMPORT_MAX_TOTAL_BYTES in all (413), in IMPORT_TMP_DIR. A generations.jsonl is also parsed as it
 * arrives (RolloutPrefetch), with the fields sent before it, when those are valid, and its rows
 * stored as they are parsed (ImportService.beginDuringUpload).
 */
@Injectable()
export class ImportUploadInterceptor implements NestInterceptor {
  private readonly inner: NestInterceptor;

  constructor(limits: RolloutLimitsConfig, pool: RolloutParsePool, imports: ImportService) {
    const prefetch = (fields: Record<string, unknown>, path: string, req: object) => {
      if (limits.IMPORT_PREFETCH_BYTES === 0) return null;
      let request;
      try {
        request = parseImportFields(fields);
      } catch {
        return null; // the import will answer 400 for these fields (or later ones): nothing to parse for
      }
      const spec = readSpecOf(request);
      const options = generationsRecordsOptions(spec, ROLLOUT_WIRE_LIMITS.reportedLineErrors);
      const ahead = new RolloutPrefetch(pool, path, spec, options, limits.IMPORT_PREFETCH_BYTES);
      const createdBy = importOwner(req as IncomingMessage);
      return { prefetch: ahead, begun: imports.beginDuringUpload(ahead, request, fields, createdBy) };
    };
    const Interceptor = AnyFilesInterceptor({
      storage: new UploadStorage({
        tmpDir: limits.IMPORT_TMP_DIR,
        maxTotalBytes: limits.IMPORT_MAX_TOTAL_BYTES,
        prefetch,
      }),
      limits: { ...FIELD_LIMITS, fileSize: limits.IMPORT_MAX_FILE_BYTES },
    });
    this.inner = new Interceptor();
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    try {
      return await this.inner.intercept(context, next);
    } catch (error) {
      // The upload failed (multer removes its files): an import begun during it is discarded too.
      await begunImportOf(context.switchToHttp().getRequest<object>())?.discard();
      throw error;
    }
  }
}
