import { RUN_KINDS, RUN_STATUSES, type RunKind, type RunStatus } from '@brier/contracts';
import type { RunEntity } from '@brier/database';
import { ApiProperty } from '@nestjs/swagger';

export class RunResourcesDto {
  @ApiProperty({ example: 2 })
  gpuCount!: number;

  @ApiProperty({ type: String, nullable: true, example: 'A100-80GB' })
  gpuType!: string | null;

  @ApiProperty({ type: [String], example: [] })
  labels!: string[];
}

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

/** A run as the API shows it (never its lease token or idempotency key). */
export class RunDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: RUN_KINDS })
  kind!: RunKind;

  @ApiProperty({ example: 'seed-gemma2-2b-boolq' })
  name!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Free text for people, as submitted.' })
  description!: string | null;

  @ApiProperty({ enum: RUN_STATUSES })
  status!: RunStatus;

  @ApiProperty({ type: String, nullable: true, description: 'The preset the request was merged onto.' })
  preset!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The validated spec, defaults filled in (TrainSpecDto, EvalSpecDto or ImportSpecDto).',
  })
  spec!: unknown;

  @ApiProperty({ example: 1 })
  specVersion!: number;

  @ApiProperty({ type: () => RunResourcesDto })
  resources!: RunResourcesDto;

  @ApiProperty({ type: Number, nullable: true })
  maxSteps!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Last step the run reported.' })
  progressStep!: number | null;

  @ApiProperty({ description: 'Current attempt number (0 before the first claim).' })
  attempt!: number;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  agentId!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  heartbeatAt!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'Set when a cancel of a running run was asked for; its agent stops it on its next heartbeat.',
  })
  cancelRequestedAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt!: string | null;

  @ApiProperty({ type: Number, nullable: true })
  exitCode!: number | null;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  error!: unknown;

  @ApiProperty({ type: String, nullable: true })
  createdBy!: string | null;
}

export function toRunDto(run: RunEntity): RunDto {
  return {
    id: run.id,
    kind: run.kind,
    name: run.name,
    description: run.description,
    status: run.status,
    preset: run.preset,
    spec: run.spec,
    specVersion: run.specVersion,
    resources: { gpuCount: run.gpuCount, gpuType: run.gpuType, labels: run.labels },
    maxSteps: run.maxSteps,
    progressStep: run.progressStep,
    attempt: run.attempt,
    agentId: run.agentId,
    heartbeatAt: iso(run.heartbeatAt),
    cancelRequestedAt: iso(run.cancelRequestedAt),
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    exitCode: run.exitCode,
    error: run.error ?? null,
    createdBy: run.createdBy,
  };
}
