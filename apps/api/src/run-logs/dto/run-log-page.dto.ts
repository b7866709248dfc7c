import { LOG_STREAMS, type LogStream, type RunLogLineView, type RunLogPage } from '@brier/contracts';
import { ApiProperty } from '@nestjs/swagger';

export class RunLogLineDto implements RunLogLineView {
  @ApiProperty({ description: "Position in the run's log (commit order): the SSE event id." }) id!: string;
  @ApiProperty() attempt!: number;
  @ApiProperty({ enum: LOG_STREAMS }) stream!: LogStream;
  @ApiProperty({ description: 'Sequence number within (attempt, stream), from the agent.' }) seq!: number;
  @ApiProperty() line!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class RunLogPageDto implements RunLogPage {
  @ApiProperty({ type: () => [RunLogLineDto] }) items!: RunLogLineDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as afterId to continue.' })
  nextAfterId!: string | null;
  @ApiProperty({ description: 'More lines are stored beyond this page already.' }) hasMore!: boolean;
}
