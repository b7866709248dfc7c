import 'reflect-metadata';

import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';

import { IMPORT_SPEC_DEFAULTS as D } from '../spec-defaults.js';
import { IsPrintableText, OptionalField } from '../validation/decorators.js';
import { RUN_LIMITS as L } from '../validation/limits.js';

export const IMPORT_SOURCES = ['upload'] as const;
export type ImportSource = (typeof IMPORT_SOURCES)[number];

/**
 * An existing prime-rl results directory turned into a run. Its files (generations.jsonl[.gz],
 * orchestrator.stdout, calibration_metrics.csv) come with POST /v1/imports, not in the spec.
 */
export class ImportSpecDto {
  @ApiPropertyOptional({
    description:
      'Rollouts per step in the files: with max_async_level 0, each block of batchSize lines is a step.',
    minimum: 1,
    maximum: L.batchSizeMax,
    default: D.batchSize,
  })
  @IsInt()
  @Min(1)
  @Max(L.batchSizeMax)
  batchSize!: number;

  @ApiPropertyOptional({
    description: 'Steps the files should hold (a check); whatever they hold when absent.',
    minimum: 1,
    maximum: L.maxStepsMax,
  })
  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(L.maxStepsMax)
  maxSteps?: number;

  @ApiPropertyOptional({
    enum: IMPORT_SOURCES,
    default: D.source,
    description: 'upload: the files come with POST /v1/imports.',
  })
  @IsIn(IMPORT_SOURCES)
  source!: ImportSource;

  @ApiPropertyOptional({
    description: 'Where the results come from, for provenance (a repository, a paper, a machine).',
    maxLength: L.originMaxLength,
  })
  @OptionalField()
  @IsString()
  @MaxLength(L.originMaxLength)
  @IsPrintableText()
  origin?: string;
}
