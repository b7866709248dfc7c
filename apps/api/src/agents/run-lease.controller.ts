import {
  ClaimRunDto,
  FinishRunDto,
  ReportCheckpointDto,
  ReportRunEventDto,
  RunProgressDto,
} from '@brier/contracts';
import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';

import { ApiErrorDto } from '../http/api-error.dto.js';
import {
  ClaimRunResponseDto,
  FinishRunResponseDto,
  LeaseConflictDto,
  ReportCheckpointResponseDto,
  ReportRunEventResponseDto,
  RunProgressResponseDto,
} from './dto/agent-responses.dto.js';
import { RunLeaseService } from './run-lease.service.js';
import { uuidParam } from './uuid-param.pipe.js';
import { AGENTS, AgentScoped, Roles } from '../auth/access.decorators.js';

const BAD_REQUEST = { type: ApiErrorDto, description: 'Invalid body: every problem as {path, message}.' };
const NOT_FOUND = { type: ApiErrorDto, description: 'No such run.' };
const LEASE_LOST = {
  type: LeaseConflictDto,
  description:
    "The lease is not the run's current one (reason lease-lost, the run's status): nothing was written.",
};

/** The agent's writes about a run: claim, then progress, events, checkpoints and finish under the lease. */
@ApiTags('agents')
@Roles(...AGENTS)
@Controller({ path: 'runs', version: '1' })
export class RunLeaseController {
  constructor(private readonly leases: RunLeaseService) {}

  @Post(':id/claim')
  @AgentScoped({ kind: 'claim' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Claim a queued or lost run with a new lease (agent API)',
    description:
      'Exactly one claimant wins; a second or stale one gets 409 and nothing is written. 409 reasons: ' +
      'stale-agent (register again), agent-draining, not-claimable (drop the job), placement (hand the job back).',
  })
  @ApiOkResponse({ type: ClaimRunResponseDto })
  @ApiBadRequestResponse(BAD_REQUEST)
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiConflictResponse({ type: LeaseConflictDto })
  claim(@Param('id', uuidParam('id')) id: string, @Body() dto: ClaimRunDto): Promise<ClaimRunResponseDto> {
    return this.leases.claim(id, dto);
  }

  @Post(':id/progress')
  @AgentScoped({ kind: 'run', param: 'id' })
  @HttpCode(200)
  @ApiOperation({ summary: "Report the last completed step and the orchestrator's step lines (agent API)" })
  @ApiOkResponse({ type: RunProgressResponseDto })
  @ApiBadRequestResponse(BAD_REQUEST)
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiConflictResponse(LEASE_LOST)
  progress(
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: RunProgressDto,
  ): Promise<RunProgressResponseDto> {
    return this.leases.progress(id, dto);
  }

  @Post(':id/events')
  @AgentScoped({ kind: 'run', param: 'id' })
  @HttpCode(200)
  @ApiOperation({ summary: 'Record an event of the run (agent API)' })
  @ApiOkResponse({ type: ReportRunEventResponseDto })
  @ApiBadRequestResponse(BAD_REQUEST)
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiConflictResponse(LEASE_LOST)
  reportEvent(
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: ReportRunEventDto,
  ): Promise<ReportRunEventResponseDto> {
    return this.leases.reportEvent(id, dto);
  }

  @Post(':id/checkpoints')
  @AgentScoped({ kind: 'run', param: 'id' })
  @HttpCode(200)
  @ApiOperation({ summary: 'Report a checkpoint (again with complete: true once written) (agent API)' })
  @ApiOkResponse({ type: ReportCheckpointResponseDto })
  @ApiBadRequestResponse(BAD_REQUEST)
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiConflictResponse(LEASE_LOST)
  reportCheckpoint(
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: ReportCheckpointDto,
  ): Promise<ReportCheckpointResponseDto> {
    return this.leases.reportCheckpoint(id, dto);
  }

  @Post(':id/finish')
  @AgentScoped({ kind: 'run', param: 'id' })
  @HttpCode(200)
  @ApiOperation({
    summary: "Record the attempt's outcome (agent API)",
    description:
      'succeeded, cancelled and non-retryable failures end the run; a retryable failure puts it back to ' +
      "queued for BullMQ's retry of the job. Repeating a recorded finish answers it again (replayed: true).",
  })
  @ApiOkResponse({ type: FinishRunResponseDto })
  @ApiBadRequestResponse(BAD_REQUEST)
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiConflictResponse(LEASE_LOST)
  finish(@Param('id', uuidParam('id')) id: string, @Body() dto: FinishRunDto): Promise<FinishRunResponseDto> {
    return this.leases.finish(id, dto);
  }
}
