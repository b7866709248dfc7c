import 'reflect-metadata';

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsNumber,
  IsOptional,
  IsUUID,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

import { AGENT_LIMITS as L } from './agent-limits.js';
import { IsCountRecord } from './agent-validation.js';

const FINITE = { allowNaN: false, allowInfinity: false } as const;

/**
 * One `Step N | …` line of prime-rl's orchestrator log, as libs/results parses it (StepLogEntry):
 * timeS = timeSeconds, seqLen = seqLength, offPolicyLevel = maxOffPolicyLevel, filteredCount /
 * filteredTotal / filtered = filtered.count / .total / .reasons.
 */
export class OrchestratorStepDto {
  @ApiProperty({ minimum: 0 })
  @IsInt()
  @Min(0)
  @Max(L.stepMax)
  step!: number;

  @ApiPropertyOptional({ nullable: true, description: 'Seconds the step took.' })
  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  timeS?: number | null;

  @ApiPropertyOptional({ nullable: true, description: "prime-rl's reward over what it trains on." })
  @IsOptional()
  @IsNumber(FINITE)
  reward?: number | null;

  @ApiPropertyOptional({ nullable: true, description: 'Tokens per sample.' })
  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  seqLen?: number | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  asyncLevel?: number | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  offPolicyLevel?: number | null;

  @ApiPropertyOptional({ nullable: true, description: '`Detected K/N rollouts`: K.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  filteredCount?: number | null;

  @ApiPropertyOptional({ nullable: true, description: '`Detected K/N rollouts`: N.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  filteredTotal?: number | null;

  @ApiPropertyOptional({ nullable: true, description: 'Per-filter counts, e.g. {"gibberish": 2}.' })
  @IsOptional()
  @IsCountRecord(32)
  filtered?: Record<string, number> | null;
}

/** `POST /v1/runs/{id}/progress`: the last completed step and the orchestrator's step lines since the last report. */
export class RunProgressDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  leaseToken!: string;

  @ApiProperty({ minimum: 0, description: 'The last step completed.' })
  @IsInt()
  @Min(0)
  @Max(L.stepMax)
  step!: number;

  @ApiPropertyOptional({ type: () => [OrchestratorStepDto], default: [] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(L.progressStepsMax)
  @ValidateNested({ each: true })
  @Type(() => OrchestratorStepDto)
  orchestrator?: OrchestratorStepDto[];
}

export interface RunProgressResponse {
  /** The run's progress step after this report (never goes back within an attempt). */
  progressStep: number;
  /** Orchestrator step rows written (a re-sent step replaces its row). */
  orchestratorSteps: number;
}
