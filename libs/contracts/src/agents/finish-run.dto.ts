import 'reflect-metadata';

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

import type { RunStatus } from '../runs/run-status.js';
import { AGENT_LIMITS as L, RUN_OUTCOMES, SIGNAL_PATTERN, type RunOutcome } from './agent-limits.js';
import { HasNoNul, MaxUtf8Bytes } from './agent-validation.js';

/** Why an attempt failed. */
export class RunErrorDto {
  @ApiProperty({ maxLength: L.errorMessageMaxLength, example: 'prime-rl exited with code 1' })
  @IsString()
  @MaxLength(L.errorMessageMaxLength)
  @HasNoNul()
  message!: string;

  @ApiPropertyOptional({ description: `The last ≤ ${L.stderrTailMaxBytes} bytes of stderr.`, nullable: true })
  @IsOptional()
  @IsString()
  @MaxUtf8Bytes(L.stderrTailMaxBytes)
  @HasNoNul()
  stderrTail?: string | null;

  @ApiProperty({
    description:
      'true: BullMQ will retry this job (attempts left and a transient cause), so the run goes back to ' +
      'queued; false: the run fails for good.',
  })
  @IsBoolean()
  retryable!: boolean;
}

/** `POST /v1/runs/{id}/finish`: how the attempt ended. */
export class FinishRunDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  leaseToken!: string;

  @ApiProperty({ enum: RUN_OUTCOMES })
  @IsIn(RUN_OUTCOMES)
  outcome!: RunOutcome;

  @ApiPropertyOptional({ nullable: true, description: 'Exit code of prime-rl; null when a signal ended it.' })
  @IsOptional()
  @IsInt()
  @Min(-(2 ** 31))
  @Max(2 ** 31 - 1)
  exitCode?: number | null;

  @ApiPropertyOptional({ nullable: true, example: 'SIGKILL', pattern: SIGNAL_PATTERN.source })
  @IsOptional()
  @IsString()
  @Matches(SIGNAL_PATTERN, { message: '$property must be a signal name such as SIGKILL' })
  signal?: string | null;

  @ApiPropertyOptional({
    type: () => RunErrorDto,
    nullable: true,
    description: "Required when outcome is 'failed'.",
  })
  @ValidateIf(
    (dto: FinishRunDto) => dto.outcome === 'failed' || (dto.error !== undefined && dto.error !== null),
  )
  @IsDefined({ message: "$property is required when outcome is 'failed'" })
  @ValidateNested()
  @Type(() => RunErrorDto)
  error?: RunErrorDto | null;
}

export interface FinishRunResponse {
  /** The run's status now: succeeded, failed or cancelled; queued for a retryable failure. */
  status: RunStatus;
  attempt: number;
  /** true when this exact finish had already been recorded (a retried request). */
  replayed: boolean;
}
