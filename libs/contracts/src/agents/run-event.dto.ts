import 'reflect-metadata';

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';

import { AGENT_LIMITS as L, RESERVED_RUN_EVENT_TYPES, RUN_EVENT_TYPE_PATTERN } from './agent-limits.js';
import { HasNoNul, IsNotOneOf, IsSmallJsonObject } from './agent-validation.js';

/** `POST /v1/runs/{id}/events`: something notable the agent saw (a reward mismatch, a checkpoint, a warning). */
export class ReportRunEventDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  leaseToken!: string;

  @ApiProperty({ pattern: RUN_EVENT_TYPE_PATTERN.source, example: 'reward-mismatch' })
  @IsString()
  @Matches(RUN_EVENT_TYPE_PATTERN, {
    message: '$property must be 1-64 characters of [a-z0-9._-], starting with a letter',
  })
  @IsNotOneOf(RESERVED_RUN_EVENT_TYPES)
  type!: string;

  @ApiProperty({ maxLength: L.eventMessageMaxLength })
  @IsString()
  @MaxLength(L.eventMessageMaxLength)
  @HasNoNul()
  message!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  @IsOptional()
  @IsSmallJsonObject(L.eventDataMaxBytes)
  data?: Record<string, unknown> | null;

  @ApiPropertyOptional({
    minimum: 0,
    description:
      "The step this attempt really resumes from (0: from scratch) when it is not the claim's " +
      'offer (that checkpoint is not on the host, or not what was written): recorded as the ' +
      "attempt's resume step.",
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(L.stepMax)
  resumeStep?: number;
}

export interface ReportRunEventResponse {
  /** run_events.id (int8, as a string). */
  eventId: string;
}
