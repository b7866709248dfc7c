import { LOG_STREAMS, type LogStream } from '@brier/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, type TransformFnParams } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

/** A query string's digits as a number; anything else is left for @IsInt to reject. */
function queryInt({ value }: TransformFnParams): unknown {
  return typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
}

export const LOG_ID_PATTERN = /^\d{1,19}$/;

/** GET /v1/runs/{id}/logs/stream: which lines to follow. */
export class RunLogStreamQueryDto {
  @ApiPropertyOptional({
    minimum: 1,
    description: 'Only this attempt (default: every attempt, as they come).',
  })
  @IsOptional()
  @Transform(queryInt)
  @IsInt()
  @Min(1)
  attempt?: number;

  @ApiPropertyOptional({
    enum: LOG_STREAMS,
    description: 'Only this stream (default: all of them, interleaved).',
  })
  @IsOptional()
  @IsIn(LOG_STREAMS)
  stream?: LogStream;

  @ApiPropertyOptional({
    minimum: 0,
    description: 'Only lines with a greater seq (needs attempt and stream).',
  })
  @IsOptional()
  @Transform(queryInt)
  @IsInt()
  @Min(0)
  afterSeq?: number;

  @ApiPropertyOptional({
    description: 'Only lines after this line id (what Last-Event-ID carries; nextAfterId of a page).',
  })
  @IsOptional()
  @Matches(LOG_ID_PATTERN, { message: 'afterId must be a log line id' })
  afterId?: string;
}

/** GET /v1/runs/{id}/logs: stored lines in commit order, in pages. */
export class RunLogQueryDto extends RunLogStreamQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 5000, default: 1000 })
  @IsOptional()
  @Transform(queryInt)
  @IsInt()
  @Min(1)
  @Max(5000)
  limit?: number;
}
