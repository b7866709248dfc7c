import { Controller, HttpCode, Post, Req, UseInterceptors } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';

import { RateLimited, Roles, SUBMITTERS } from '../auth/access.decorators.js';
import { apiError } from '../http/api-error.js';
import { ApiErrorDto } from '../http/api-error.dto.js';
import { RunDto } from '../runs/dto/run.dto.js';
import { mediaTypeOf, type RawRequest } from '../rollouts/http-body.js';
import { ImportService, importOwner, type ImportResultView } from './import.service.js';
import { ImportUploadInterceptor } from './import-upload.interceptor.js';
import { begunImportOf, prefetchOf, removeUploadFolder, type UploadedFile } from './upload-storage.js';

/** Results directories in: POST /v1/imports. */
@ApiTags('imports')
@Controller({ path: 'imports', version: '1' })
export class ImportsController {
  constructor(private readonly imports: ImportService) {}

  @Post()
  @HttpCode(201)
  @Roles(...SUBMITTERS)
  @RateLimited('submit')
  @UseInterceptors(ImportUploadInterceptor)
  @ApiOperation({
    summary: "Import a prime-rl results directory's files as an import run",
    description:
      'multipart/form-data: the files (generations.jsonl or generations.jsonl.gz, calibration_metrics.csv, ' +
      'orchestrator.stdout; cot_samples.txt and other names are ignored), under any field name, plus the ' +
      'optional fields name, batch_size (rollouts per step where the file records no step; default 1024), ' +
      'max_steps (only steps below it) and origin. Synchronous: the answer is the finished run (succeeded), ' +
      'with a summary under `import`. A malformed line stores nothing: 400 naming the lines, the run failed.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        files: { type: 'array', items: { type: 'string', format: 'binary' } },
        name: { type: 'string' },
        batch_size: { type: 'integer', default: 1024 },
        max_steps: { type: 'integer' },
        origin: { type: 'string' },
      },
    },
  })
  @ApiCreatedResponse({
    type: RunDto,
    description: 'The import run, finished, plus `import`: what was read.',
  })
  @ApiBadRequestResponse({
    type: ApiErrorDto,
    description: 'Bad fields, no result file among those given, or malformed lines.',
  })
  @ApiPayloadTooLargeResponse({
    type: ApiErrorDto,
    description: 'A file, or all files together, over the configured caps.',
  })
  @ApiUnsupportedMediaTypeResponse({ type: ApiErrorDto, description: 'Not multipart/form-data.' })
  async create(@Req() req: RawRequest & { files?: UploadedFile[] }): Promise<ImportResultView> {
    try {
      if (mediaTypeOf(req.headers['content-type']) !== 'multipart/form-data') {
        throw apiError(
          415,
          'an import is multipart/form-data: the results files, and optional fields name, batch_size, max_steps',
        );
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      return await this.imports.import(
        req.files ?? [],
        { ...body },
        importOwner(req),
        prefetchOf(req),
        begunImportOf(req),
      );
    } finally {
      await removeUploadFolder(req);
    }
  }
}
