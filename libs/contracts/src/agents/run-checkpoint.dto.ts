import 'reflect-metadata';

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';

import { AGENT_LIMITS as L, CHECKPOINT_KINDS, type CheckpointKindName } from './agent-limits.js';
import { IsSafeRelativePath } from './agent-validation.js';

/** A checkpoint's fingerprint: SHA-256 (lowercase hex) of its files' relative paths and sizes. */
export const CHECKPOINT_FINGERPRINT_PATTERN = /^[0-9a-f]{64}$/;

/**
 * `POST /v1/runs/{id}/checkpoints`: a checkpoint prime-rl wrote (report it again with complete:
 * true once its STABLE marker or last file is there). (run, step, kind) is unique: the latest
 * report wins, so a regenerated step's checkpoint replaces the old one.
 */
export class ReportCheckpointDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  leaseToken!: string;

  @ApiProperty({ minimum: 0 })
  @IsInt()
  @Min(0)
  @Max(L.stepMax)
  step!: number;

  @ApiProperty({ enum: CHECKPOINT_KINDS, description: 'trainer (resumable state), weights (HF), broadcast.' })
  @IsIn(CHECKPOINT_KINDS)
  kind!: CheckpointKindName;

  @ApiProperty({
    description: "Relative to the run's work directory on the agent host; no '..'.",
    example: 'outputs/checkpoints/step_20/trainer',
    maxLength: L.checkpointPathMaxLength,
  })
  @IsString()
  @IsSafeRelativePath()
  path!: string;

  @ApiProperty({ description: 'Every file is written: safe to resume from.' })
  @IsBoolean()
  complete!: boolean;

  @ApiPropertyOptional({
    nullable: true,
    pattern: CHECKPOINT_FINGERPRINT_PATTERN.source,
    description:
      "Of a complete checkpoint: SHA-256 of its files' relative paths and sizes. A later attempt " +
      'checks it before it trusts the directory (a final one is re-committed without re-running).',
  })
  @IsOptional()
  @Matches(CHECKPOINT_FINGERPRINT_PATTERN, { message: '$property must be 64 lowercase hex digits' })
  fingerprint?: string | null;
}

export interface ReportCheckpointResponse {
  /** checkpoints.id (int8, as a string). */
  checkpointId: string;
}
