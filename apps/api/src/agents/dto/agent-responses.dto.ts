import {
  AGENT_STATUSES,
  LEASE_CONFLICT_REASONS,
  RUN_KINDS,
  RUN_STATUSES,
  type AgentGpuView,
  type AgentHeartbeatResponse,
  type AgentRunView,
  type AgentStatusName,
  type AppendRunLogsResponse,
  type ClaimRunResponse,
  type FinishRunResponse,
  type LeaseConflictReason,
  type RegisterAgentResponse,
  type ReportCheckpointResponse,
  type ReportRunEventResponse,
  type ResumeCheckpoint,
  type RunKind,
  type RunProgressResponse,
  type RunStatus,
} from '@brier/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { ApiErrorDto } from '../../http/api-error.dto.js';

// Response bodies of the agent-facing API, for the OpenAPI document. Each implements its
// @brier/contracts interface, so the document cannot drift from what the agent is typed against.

export class RegisterAgentResponseDto implements RegisterAgentResponse {
  @ApiProperty({ format: 'uuid' }) agentId!: string;
  @ApiProperty({ format: 'uuid', description: 'Present on every heartbeat and claim.' }) incarnation!: string;
  @ApiProperty({ example: 10_000 }) heartbeatIntervalMs!: number;
  @ApiProperty({ example: 30_000, description: '3 × heartbeatIntervalMs.' }) leaseTimeoutMs!: number;
  @ApiProperty({ type: [String], description: 'Runs of the previous incarnation, now lost and re-queued.' })
  voidedRunIds!: string[];
}

export class AgentHeartbeatResponseDto implements AgentHeartbeatResponse {
  @ApiProperty({ enum: [true] }) ok!: true;
  @ApiProperty({
    type: [String],
    description: 'Stop these (SIGINT, then kill the group), then finish them cancelled.',
  })
  cancel!: string[];
  @ApiProperty({ type: [String], description: 'Not yours any more: kill now, report nothing more.' })
  revoked!: string[];
  @ApiProperty() heartbeatIntervalMs!: number;
}

export class ResumeCheckpointDto implements ResumeCheckpoint {
  @ApiProperty() step!: number;
  @ApiProperty() attempt!: number;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) agentId!: string | null;
  @ApiProperty() path!: string;
  @ApiProperty({ nullable: true, type: String, description: "SHA-256 of its files' paths and sizes." })
  fingerprint!: string | null;
}

export class ClaimRunResponseDto implements ClaimRunResponse {
  @ApiProperty({ format: 'uuid' }) runId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: RUN_KINDS }) kind!: RunKind;
  @ApiProperty({ format: 'uuid', description: 'Present on every write about this attempt.' })
  leaseToken!: string;
  @ApiProperty() attempt!: number;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The validated run spec.' })
  spec!: unknown;
  @ApiProperty() specVersion!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Resume from this checkpoint step; null: start fresh.',
  })
  resumeStep!: number | null;
  @ApiPropertyOptional({ type: () => ResumeCheckpointDto, nullable: true })
  resumeCheckpoint!: ResumeCheckpointDto | null;
  @ApiProperty({
    type: () => [ResumeCheckpointDto],
    description: 'Earlier checkpoints to resume from, newest first, if resumeCheckpoint is unusable.',
  })
  resumeFallbacks!: ResumeCheckpointDto[];
}

export class RunProgressResponseDto implements RunProgressResponse {
  @ApiProperty() progressStep!: number;
  @ApiProperty() orchestratorSteps!: number;
}

export class ReportRunEventResponseDto implements ReportRunEventResponse {
  @ApiProperty() eventId!: string;
}

export class ReportCheckpointResponseDto implements ReportCheckpointResponse {
  @ApiProperty() checkpointId!: string;
}

export class AppendRunLogsResponseDto implements AppendRunLogsResponse {
  @ApiProperty() inserted!: number;
  @ApiProperty({ description: 'Already stored (a replayed batch).' }) skipped!: number;
}

export class FinishRunResponseDto implements FinishRunResponse {
  @ApiProperty({ enum: RUN_STATUSES, description: 'queued after a retryable failure.' }) status!: RunStatus;
  @ApiProperty() attempt!: number;
  @ApiProperty({ description: 'This finish had been recorded already.' }) replayed!: boolean;
}

export class LeaseConflictDto extends ApiErrorDto {
  @ApiProperty({ enum: LEASE_CONFLICT_REASONS }) reason!: LeaseConflictReason;
  @ApiPropertyOptional({ enum: RUN_STATUSES, description: "The run's status now." }) status?: RunStatus;
}

export class AgentGpuViewDto implements AgentGpuView {
  @ApiProperty() index!: number;
  @ApiProperty() uuid!: string;
  @ApiProperty() name!: string;
  @ApiProperty() memoryTotalMiB!: number;
  @ApiProperty() memoryUsedMiB!: number;
  @ApiProperty() driverVersion!: string;
  @ApiProperty({ nullable: true, type: String }) cudaVersion!: string | null;
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'The run leasing it; null: free.',
  })
  runId!: string | null;
}

export class AgentRunViewDto implements AgentRunView {
  @ApiProperty({ format: 'uuid' }) runId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: RUN_KINDS }) kind!: RunKind;
  @ApiProperty({ enum: RUN_STATUSES }) status!: RunStatus;
  @ApiProperty() attempt!: number;
  @ApiProperty({ type: [Number] }) gpuIndices!: number[];
  @ApiProperty({ nullable: true, type: Number }) progressStep!: number | null;
  @ApiProperty({ nullable: true, type: Number }) maxSteps!: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) heartbeatAt!: string | null;
}

export class AgentViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() hostname!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ nullable: true, type: String }) primeRlVersion!: string | null;
  @ApiProperty({ type: [String] }) labels!: string[];
  @ApiProperty({ enum: AGENT_STATUSES }) status!: AgentStatusName;
  @ApiProperty({ format: 'date-time' }) registeredAt!: string;
  @ApiProperty({ format: 'date-time' }) heartbeatAt!: string;
  @ApiProperty({ description: 'Milliseconds since its last heartbeat.' }) heartbeatAgeMs!: number;
  @ApiProperty({ type: () => [AgentGpuViewDto] }) gpus!: AgentGpuViewDto[];
  @ApiProperty({ type: () => [AgentRunViewDto], description: 'Runs it holds a lease on.' })
  runs!: AgentRunViewDto[];
}
