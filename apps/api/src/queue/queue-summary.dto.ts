import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ReconcilePassDto {
  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ description: 'Queued runs whose job was looked at.' })
  checked!: number;

  @ApiProperty({ description: 'Jobs re-added.' })
  requeued!: number;

  @ApiProperty({ description: 'Queued runs failed because their job kept finishing without running them.' })
  failed!: number;

  @ApiPropertyOptional({ description: 'Why the pass did not run.' })
  skipped?: string;

  @ApiPropertyOptional({ description: 'Why the pass stopped.' })
  error?: string;
}

export class QueueSummaryDto {
  @ApiProperty({ example: 'brier-runs' })
  queue!: string;

  @ApiProperty({
    description: 'Jobs per BullMQ state (waiting, active, delayed, prioritized, completed, failed, …).',
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { waiting: 3, active: 1, delayed: 0, completed: 12, failed: 0 },
  })
  counts!: Record<string, number>;

  @ApiProperty({ description: 'Jobs this API process re-enqueued for queued runs whose job was missing.' })
  reconciled_total!: number;

  @ApiPropertyOptional({ type: () => ReconcilePassDto, nullable: true })
  last_pass!: ReconcilePassDto | null;
}
