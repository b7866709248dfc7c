import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

import { queryInt } from './query-transforms.js';

/** GET /v1/runs/{id}/events: oldest first, in pages. */
export class RunEventsQueryDto {
  @ApiPropertyOptional({ description: 'Only events after this event id (nextAfter of the previous page).' })
  @IsOptional()
  @Matches(/^\d{1,19}$/, { message: 'after must be an event id' })
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 200 })
  @IsOptional()
  @Transform(queryInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
