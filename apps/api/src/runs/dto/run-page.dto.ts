import { ApiProperty } from '@nestjs/swagger';

import { RunDto } from './run.dto.js';

export class RunPageDto {
  @ApiProperty({ type: () => [RunDto] })
  items!: RunDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page.',
  })
  nextCursor!: string | null;
}
