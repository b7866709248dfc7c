import 'reflect-metadata';

import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsInt, IsUUID, Max, Min } from 'class-validator';

import type { RunKind } from '../runs/run-kind.js';
import { AGENT_LIMITS as L } from './agent-limits.js';

/** `POST /v1/runs/{id}/claim`: an agent that took the run's job and reserved GPUs for it. */
export class ClaimRunDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  agentId!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  incarnation!: string;

  @ApiProperty({
    type: [Number],
    description: "The GPUs it reserved (as many as the run's gpuCount; none for a run that needs none).",
    example: [0, 1],
  })
  @IsArray()
  @ArrayMaxSize(L.gpusMax)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(0, { each: true })
  @Max(L.gpuIndexMax, { each: true })
  gpuIndices!: number[];
}

/** The last complete checkpoint of an earlier attempt: where the new attempt resumes. */
export interface ResumeCheckpoint {
  step: number;
  /** The attempt that wrote it, on this agent or another (the files live where it ran). */
  attempt: number;
  agentId: string | null;
  path: string;
  /** What its directory must still fingerprint to (checkpointFingerprint); null when never reported. */
  fingerprint: string | null;
}

export interface ClaimRunResponse {
  runId: string;
  name: string;
  kind: RunKind;
  /** Fencing token: every later write about this attempt presents it. */
  leaseToken: string;
  /** 1 for the first claim, +1 for every later one. */
  attempt: number;
  spec: unknown;
  specVersion: number;
  /** Step of the last complete trainer checkpoint of an earlier attempt, or null to start fresh. */
  resumeStep: number | null;
  resumeCheckpoint: ResumeCheckpoint | null;
  /**
   * Earlier checkpoints the attempt may resume from instead, newest first, when resumeCheckpoint
   * is not usable on its host (missing, or changed since it was written): a few steps lost rather
   * than the whole run. Empty when there is none (older agents ignore it).
   */
  resumeFallbacks: ResumeCheckpoint[];
}
