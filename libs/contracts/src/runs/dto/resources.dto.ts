import 'reflect-metadata';

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';

import { GPU_TYPE_PATTERN, LABEL_PATTERN, RUN_LIMITS as L } from '../validation/limits.js';

/** What a run needs from an agent: only an agent with that many free matching GPUs takes it. */
export class ResourcesDto {
  @ApiProperty({
    description:
      'GPUs the run reserves (train: ≥ 1, the seed used 2; import: 0; eval of an endpoint: may be 0).',
    minimum: 0,
    maximum: L.gpuCountMax,
    example: 2,
  })
  @IsInt()
  @Min(0)
  @Max(L.gpuCountMax)
  gpuCount!: number;

  @ApiPropertyOptional({
    description: "GPU model the agent's GPUs must be, e.g. A100-80GB or H100; any when absent.",
    pattern: GPU_TYPE_PATTERN.source,
    nullable: true,
    example: 'A100-80GB',
  })
  @IsOptional()
  @IsString()
  @Matches(GPU_TYPE_PATTERN, {
    message:
      '$property must be a GPU model such as A100-80GB or H100: letters, digits, space and . _ - (at most 64)',
  })
  gpuType?: string | null;

  @ApiPropertyOptional({
    description: 'Labels the agent must have (all of them).',
    type: [String],
    maxItems: L.labelsMax,
    default: [],
    example: ['eu-west'],
  })
  @IsArray()
  @ArrayMaxSize(L.labelsMax)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(LABEL_PATTERN, {
    each: true,
    message: `$property must each be 1 to ${L.labelMaxLength} characters of [a-z0-9._-]`,
  })
  labels: string[] = [];
}
