import { COMPARABLE_STEP_METRICS, type ComparableStepMetric } from '@brier/database';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsUUID, Max, Min } from 'class-validator';

import { queryInt } from '../rollouts/dto/query-values.js';

export const METRIC_SOURCES = ['aggregates', 'rollouts'] as const;
export type MetricSource = (typeof METRIC_SOURCES)[number];

export const COMPARE_MAX_RUNS = 20;

export class ReliabilityQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 5, description: 'Steps pooled per diagram.' })
  @Transform(queryInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  group: number = 5;
}

export class StepMetricsQueryDto {
  @ApiPropertyOptional({
    enum: METRIC_SOURCES,
    default: 'aggregates',
    description:
      'aggregates: the maintained sums (what /metrics serves); rollouts: recomputed from the raw rows.',
  })
  @IsIn(METRIC_SOURCES)
  source: MetricSource = 'aggregates';
}

/** `?runs=a,b` and `?runs=a&runs=b` both become [a, b]. */
function idList({ value }: { value: unknown }): unknown {
  const parts: unknown[] = Array.isArray(value) ? value : [value];
  if (!parts.every((part) => typeof part === 'string')) return value;
  return parts
    .flatMap((p) => p.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

export class CompareQueryDto {
  @ApiProperty({
    type: String,
    description: `Run ids, comma-separated (1–${COMPARE_MAX_RUNS}).`,
    example: 'id1,id2',
  })
  @Transform(idList)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(COMPARE_MAX_RUNS)
  @IsUUID('all', { each: true, message: 'runs must be run ids (UUIDs), comma-separated' })
  runs!: string[];

  @ApiPropertyOptional({ enum: COMPARABLE_STEP_METRICS, default: 'ece' })
  @IsIn(COMPARABLE_STEP_METRICS)
  metric: ComparableStepMetric = 'ece';
}
