import { AgentHeartbeatDto, RegisterAgentDto, type AgentView } from '@brier/contracts';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';

import { ApiErrorDto } from '../http/api-error.dto.js';
import { AgentRegistryService } from './agent-registry.service.js';
import { AgentListQueryDto } from './dto/agent-list.query.dto.js';
import {
  AgentHeartbeatResponseDto,
  AgentViewDto,
  LeaseConflictDto,
  RegisterAgentResponseDto,
} from './dto/agent-responses.dto.js';
import { uuidParam } from './uuid-param.pipe.js';
import { AGENTS, AgentScoped, CurrentPrincipal, READERS, Roles } from '../auth/access.decorators.js';
import type { Principal } from '../auth/principal.js';

const BAD_REQUEST = { type: ApiErrorDto, description: 'Invalid body: every problem as {path, message}.' };

@ApiTags('agents')
@Controller({ path: 'agents', version: '1' })
export class AgentsController {
  constructor(private readonly registry: AgentRegistryService) {}

  @Post('register')
  @Roles(...AGENTS)
  @AgentScoped({ kind: 'register' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Register an agent process (agent API)',
    description:
      'Every start of an agent is a new incarnation. Registering a name again voids the leases of its ' +
      'previous incarnation: those runs are lost and re-queued.',
  })
  @ApiOkResponse({ type: RegisterAgentResponseDto })
  @ApiBadRequestResponse(BAD_REQUEST)
  register(
    @Body() dto: RegisterAgentDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RegisterAgentResponseDto> {
    return this.registry.register(dto, principal.tokenId);
  }

  @Post(':id/heartbeat')
  @Roles(...AGENTS)
  @AgentScoped({ kind: 'agent', param: 'id' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Heartbeat with GPU usage and the runs held (agent API)',
    description:
      "Refreshes each reported run's lease (fenced by its token). Answers which runs to cancel and which " +
      'leases are revoked (kill those now).',
  })
  @ApiOkResponse({ type: AgentHeartbeatResponseDto })
  @ApiBadRequestResponse(BAD_REQUEST)
  @ApiConflictResponse({
    type: LeaseConflictDto,
    description: 'Unknown agent or stale incarnation: register again.',
  })
  heartbeat(
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: AgentHeartbeatDto,
  ): Promise<AgentHeartbeatResponseDto> {
    return this.registry.heartbeat(id, dto);
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({ summary: 'The fleet: hosts, GPUs, what runs on each, heartbeat age, labels, versions' })
  @ApiOkResponse({ type: [AgentViewDto] })
  list(@Query() query: AgentListQueryDto): Promise<AgentView[]> {
    return this.registry.list(query.status);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({ summary: 'One agent' })
  @ApiOkResponse({ type: AgentViewDto })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  get(@Param('id', uuidParam('id')) id: string): Promise<AgentView> {
    return this.registry.get(id);
  }
}
