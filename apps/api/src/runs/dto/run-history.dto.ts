import type { CheckpointEntity, RunAttemptEntity, RunEventEntity } from '@brier/database';
import { ApiProperty } from '@nestjs/swagger';

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

/** One claim of the run by an agent (never its lease token). */
export class RunAttemptDto {
  @ApiProperty({ example: 1 })
  number!: number;

  @ApiProperty({ enum: ['running', 'succeeded', 'failed', 'cancelled', 'lost'] })
  status!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  agentId!: string | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Checkpoint step it resumed from.' })
  resumeStep!: number | null;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt!: string | null;

  @ApiProperty({ type: Number, nullable: true })
  exitCode!: number | null;

  @ApiProperty({ type: String, nullable: true })
  signal!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  error!: unknown;
}

export function toRunAttemptDto(attempt: RunAttemptEntity): RunAttemptDto {
  return {
    number: attempt.number,
    status: attempt.status,
    agentId: attempt.agentId,
    resumeStep: attempt.resumeStep,
    startedAt: attempt.startedAt.toISOString(),
    finishedAt: iso(attempt.finishedAt),
    exitCode: attempt.exitCode,
    signal: attempt.signal,
    error: attempt.error ?? null,
  };
}

/** A state change or another happening, with who did it and why. */
export class RunEventDto {
  @ApiProperty({ description: 'Event id (increasing); pass the last one as `after` for the next page.' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ example: 'status', description: "'created', 'status', 'cancel-requested', 'requeued', …" })
  type!: string;

  @ApiProperty({ type: String, nullable: true })
  fromStatus!: string | null;

  @ApiProperty({ type: String, nullable: true })
  toStatus!: string | null;

  @ApiProperty({ example: 'api', description: "'api', 'agent:<name>', 'reaper', 'reconciler', a user" })
  actor!: string;

  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  data!: unknown;
}

export function toRunEventDto(event: RunEventEntity): RunEventDto {
  return {
    id: event.id,
    at: event.at.toISOString(),
    type: event.type,
    fromStatus: event.fromStatus,
    toStatus: event.toStatus,
    actor: event.actor,
    reason: event.reason,
    data: event.data ?? null,
  };
}

export class RunEventPageDto {
  @ApiProperty({ type: () => [RunEventDto] })
  items!: RunEventDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `after` for the next page; null on the last.',
  })
  nextAfter!: string | null;
}

export class CheckpointDto {
  @ApiProperty()
  step!: number;

  @ApiProperty({ enum: ['trainer', 'weights', 'broadcast'] })
  kind!: string;

  @ApiProperty()
  attempt!: number;

  @ApiProperty({ description: 'Path on the agent host, inside its work directory.' })
  path!: string;

  @ApiProperty({
    description: 'Whether the checkpoint was written completely (a resume only uses complete ones).',
  })
  complete!: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export function toCheckpointDto(checkpoint: CheckpointEntity): CheckpointDto {
  return {
    step: checkpoint.step,
    kind: checkpoint.kind,
    attempt: checkpoint.attempt,
    path: checkpoint.path,
    complete: checkpoint.complete,
    createdAt: checkpoint.createdAt.toISOString(),
  };
}
