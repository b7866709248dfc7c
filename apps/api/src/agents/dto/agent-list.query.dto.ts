import { AGENT_STATUSES, type AgentStatusName } from '@brier/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

/** GET /v1/agents */
export class AgentListQueryDto {
  @ApiPropertyOptional({ enum: AGENT_STATUSES, description: 'Only agents in this status.' })
  @IsOptional()
  @IsIn(AGENT_STATUSES)
  status?: AgentStatusName;
}
