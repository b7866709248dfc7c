import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';

import { queryBoolean } from './query-transforms.js';

/** DELETE /v1/runs/{id}. */
export class DeleteRunQueryDto {
  @ApiPropertyOptional({
    description: 'Delete a run that is not finished: cancel it first (its agent stops it), then delete.',
    default: false,
  })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean()
  force?: boolean;
}
