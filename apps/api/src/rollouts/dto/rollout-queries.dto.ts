import { ROLLOUT_WIRE_LIMITS } from '@brier/contracts';
import { SAMPLE_FILTERS } from '@brier/database';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

import { queryBoolean, queryInt, queryNumber } from './query-values.js';

const STEP_MAX = 2_147_483_647;
const RANGE = /^\d{1,10}(-\d{1,10})?$/;

export const ROLLOUT_FORMATS = ['json', 'csv', 'jsonl'] as const;
export type RolloutFormat = (typeof ROLLOUT_FORMATS)[number];

/** The filters shared by the rollouts list and its exports. */
export class RolloutFilterQueryDto {
  @ApiPropertyOptional({ description: 'One step.', minimum: 0 })
  @IsOptional()
  @Transform(queryInt)
  @IsInt()
  @Min(0)
  @Max(STEP_MAX)
  step?: number;

  @ApiPropertyOptional({ description: 'A step range `a-b` (inclusive), or one step.', example: '45-49' })
  @IsOptional()
  @IsString()
  @Matches(RANGE, { message: 'steps must be a range a-b (or one step), e.g. 45-49' })
  steps?: string;

  @ApiPropertyOptional({
    description: "`latest` (default): each step's current attempt; `all`; or one attempt number.",
    example: 'latest',
  })
  @IsOptional()
  @IsString()
  @Matches(/^(latest|all|\d{1,10})$/, { message: 'attempt must be latest, all or an attempt number' })
  attempt?: string;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean()
  parseable?: boolean;

  @ApiPropertyOptional({ enum: [0, 1], description: '1: YES is right.' })
  @IsOptional()
  @Transform(queryInt)
  @IsIn([0, 1], { message: 'label must be 0 or 1' })
  label?: 0 | 1;

  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @Transform(queryNumber)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  min_p_yes?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @Transform(queryNumber)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  max_p_yes?: number;

  @ApiPropertyOptional({
    type: Boolean,
    description: "Right or wrong by the seed's rule (p > 0.5 means YES).",
  })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean()
  correct?: boolean;

  @ApiPropertyOptional({ maxLength: ROLLOUT_WIRE_LIMITS.keyMaxLength })
  @IsOptional()
  @IsString()
  @MaxLength(ROLLOUT_WIRE_LIMITS.keyMaxLength)
  example_id?: string;
}

export class ListRolloutsQueryDto extends RolloutFilterQueryDto {
  @ApiPropertyOptional({
    enum: ROLLOUT_FORMATS,
    default: 'json',
    description: 'json: a page; csv or jsonl: every matching rollout, streamed.',
  })
  @IsOptional()
  @IsIn(ROLLOUT_FORMATS)
  format?: RolloutFormat;

  @ApiPropertyOptional({ description: "`prompt`: add each rollout's prompt text.", enum: ['prompt'] })
  @IsOptional()
  @IsIn(['prompt'])
  include?: 'prompt';

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100, description: 'Page size (json).' })
  @IsOptional()
  @Transform(queryInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page (json).' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  cursor?: string;
}

export class SamplesQueryDto {
  @ApiPropertyOptional({ description: 'The step (default: the latest with rollouts).', minimum: 0 })
  @IsOptional()
  @Transform(queryInt)
  @IsInt()
  @Min(0)
  @Max(STEP_MAX)
  step?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 10 })
  @IsOptional()
  @Transform(queryInt)
  @IsInt()
  @Min(1)
  @Max(100)
  n?: number;

  @ApiPropertyOptional({ description: 'Any text: the same seed gives the same random sample.', default: '0' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  seed?: string;

  @ApiPropertyOptional({
    enum: SAMPLE_FILTERS,
    default: 'random',
    description: 'random; parse_failures; confident_errors (wrong answers, most confident first).',
  })
  @IsOptional()
  @IsIn(SAMPLE_FILTERS)
  filter?: (typeof SAMPLE_FILTERS)[number];
}

export class EnsemblesQueryDto {
  @ApiPropertyOptional({ description: 'Steps `a-b` (inclusive; default: every step).', example: '45-49' })
  @IsOptional()
  @IsString()
  @Matches(RANGE, { message: 'steps must be a range a-b (or one step), e.g. 45-49' })
  steps?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, default: 1000, description: 'Questions per page.' })
  @IsOptional()
  @Transform(queryInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextAfter of the previous page: questions after this one.' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  after?: string;
}
