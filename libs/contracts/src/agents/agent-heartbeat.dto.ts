import 'reflect-metadata';

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsUUID,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

import { AGENT_LIMITS as L, AGENT_REPORTED_STATUSES, type AgentReportedStatus } from './agent-limits.js';
import { GpuDto } from './gpu.dto.js';

/** A run the agent is running, with the lease it holds. */
export class HeartbeatRunDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  runId!: string;

  @ApiProperty({ format: 'uuid', description: 'The lease token its claim returned.' })
  @IsUUID()
  leaseToken!: string;

  @ApiPropertyOptional({ minimum: 0, description: 'The last step it completed, when known.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(L.stepMax)
  step?: number | null;
}

/** `POST /v1/agents/{id}/heartbeat`, every heartbeatIntervalMs. */
export class AgentHeartbeatDto {
  @ApiProperty({ format: 'uuid', description: 'The incarnation registration returned.' })
  @IsUUID()
  incarnation!: string;

  @ApiProperty({ type: () => [GpuDto], description: 'Current GPU usage.' })
  @IsArray()
  @ArrayMaxSize(L.gpusMax)
  @ArrayUnique((gpu: GpuDto) => gpu?.index, { message: '$property must not repeat a GPU index' })
  @ValidateNested({ each: true })
  @Type(() => GpuDto)
  gpus!: GpuDto[];

  @ApiProperty({ type: () => [HeartbeatRunDto], description: 'Every run it is running now.' })
  @IsArray()
  @ArrayMaxSize(L.heartbeatRunsMax)
  @ArrayUnique((run: HeartbeatRunDto) => run?.runId, { message: '$property must not repeat a run' })
  @ValidateNested({ each: true })
  @Type(() => HeartbeatRunDto)
  runs!: HeartbeatRunDto[];

  @ApiPropertyOptional({
    enum: AGENT_REPORTED_STATUSES,
    description: 'draining: take no new runs (e.g. a child it cannot kill); online: back in service.',
  })
  @IsOptional()
  @IsIn(AGENT_REPORTED_STATUSES)
  status?: AgentReportedStatus;
}

export interface AgentHeartbeatResponse {
  ok: true;
  /** Runs to stop because a cancel was requested: SIGINT, then kill the group; then finish 'cancelled'. */
  cancel: string[];
  /** Runs whose lease is no longer this agent's: kill them now and report nothing more about them. */
  revoked: string[];
  heartbeatIntervalMs: number;
}
