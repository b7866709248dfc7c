import 'reflect-metadata';

import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  IsUUID,
  Max,
  Min,
} from 'class-validator';

import { AGENT_LIMITS as L, LOG_STREAMS, type LogStream } from './agent-limits.js';
import { HasNoNul, MaxUtf8Bytes } from './agent-validation.js';

/**
 * `POST /v1/runs/{id}/logs`: consecutive lines of one stream of one attempt. Line i gets sequence
 * number firstSeq + i; (run, attempt, stream, seq) is unique, so a replayed batch is a no-op.
 * Send the batches of a stream one at a time, in order, each retried until it is acknowledged.
 */
export class AppendRunLogsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  leaseToken!: string;

  @ApiProperty({ minimum: 1, description: "The claim's attempt number." })
  @IsInt()
  @Min(1)
  attempt!: number;

  @ApiProperty({ enum: LOG_STREAMS })
  @IsIn(LOG_STREAMS)
  stream!: LogStream;

  @ApiProperty({
    minimum: 0,
    description: 'Sequence number of the first line (0 for the first line of a stream).',
  })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  firstSeq!: number;

  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: L.logBatchLinesMax,
    description: `Lines without their newline, each at most ${L.logLineMaxBytes} bytes of UTF-8, no NUL.`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(L.logBatchLinesMax)
  @IsString({ each: true })
  @MaxUtf8Bytes(L.logLineMaxBytes, { each: true })
  @HasNoNul({ each: true })
  lines!: string[];
}

export interface AppendRunLogsResponse {
  /** Lines stored now. */
  inserted: number;
  /** Lines that were already stored (a replayed batch): lines.length − inserted. */
  skipped: number;
}
