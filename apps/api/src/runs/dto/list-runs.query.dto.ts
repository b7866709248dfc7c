import { RUN_KINDS, RUN_STATUSES, type RunKind, type RunStatus } from '@brier/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

import { commaList, queryInt } from './query-transforms.js';

export const LIST_RUNS_MAX_LIMIT = 200;

/** GET /v1/runs: filters (all optional, combined with AND) and a keyset page. */
export class ListRunsQueryDto {
  @ApiPropertyOptional({
    description: `Statuses, comma-separated: ${RUN_STATUSES.join(', ')}.`,
    example: 'queued,running',
    type: String,
  })
  @IsOptional()
  @Transform(commaList)
  @IsArray()
  @ArrayMaxSize(RUN_STATUSES.length)
  @IsIn(RUN_STATUSES, { each: true, message: `status must be one of ${RUN_STATUSES.join(', ')}` })
  status?: RunStatus[];

  @ApiPropertyOptional({
    description: `Kinds, comma-separated: ${RUN_KINDS.join(', ')}.`,
    example: 'train',
    type: String,
  })
  @IsOptional()
  @Transform(commaList)
  @IsArray()
  @ArrayMaxSize(RUN_KINDS.length)
  @IsIn(RUN_KINDS, { each: true, message: `kind must be one of ${RUN_KINDS.join(', ')}` })
  kind?: RunKind[];

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the run name.', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ description: 'Runs submitted with this preset.', example: 'seed-gemma2-2b-boolq' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  preset?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: LIST_RUNS_MAX_LIMIT, default: 50 })
  @IsOptional()
  @Transform(queryInt)
  @IsInt()
  @Min(1)
  @Max(LIST_RUNS_MAX_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}
