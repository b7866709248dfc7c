import type { ServerResponse } from 'node:http';

import { AppendRunLogsDto, type RunLogPage } from '@brier/contracts';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';

import { AppendRunLogsResponseDto, LeaseConflictDto } from '../agents/dto/agent-responses.dto.js';
import { uuidParam } from '../agents/uuid-param.pipe.js';
import { ApiErrorDto } from '../http/api-error.dto.js';
import { RunLogQueryDto, RunLogStreamQueryDto } from './dto/run-log.query.dto.js';
import { RunLogPageDto } from './dto/run-log-page.dto.js';
import { RunLogsService } from './run-logs.service.js';
import { AGENTS, AgentScoped, READERS, Roles } from '../auth/access.decorators.js';

const NOT_FOUND = { type: ApiErrorDto, description: 'No such run.' };

@ApiTags('logs')
@Roles(...READERS)
@Controller({ path: 'runs', version: '1' })
export class RunLogsController {
  constructor(private readonly logs: RunLogsService) {}

  @Post(':id/logs')
  @Roles(...AGENTS)
  @AgentScoped({ kind: 'run', param: 'id' })
  @HttpCode(200)
  @ApiTags('agents')
  @ApiOperation({
    summary: 'Append a batch of log lines of one stream (agent API)',
    description:
      'Line i gets seq firstSeq + i; (run, attempt, stream, seq) is unique, so a replayed batch is a no-op. ' +
      'Fenced by the lease: 409 and nothing stored when it is not the run’s current one.',
  })
  @ApiOkResponse({ type: AppendRunLogsResponseDto })
  @ApiBadRequestResponse({ type: ApiErrorDto })
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiConflictResponse({ type: LeaseConflictDto })
  append(
    @Param('id', uuidParam('id')) id: string,
    @Body() dto: AppendRunLogsDto,
  ): Promise<AppendRunLogsResponseDto> {
    return this.logs.append(id, dto);
  }

  @Get(':id/logs')
  @ApiOperation({ summary: "A run's stored log lines, in commit order, in pages (afterId continues)" })
  @ApiOkResponse({ type: RunLogPageDto })
  @ApiBadRequestResponse({ type: ApiErrorDto })
  @ApiNotFoundResponse(NOT_FOUND)
  page(@Param('id', uuidParam('id')) id: string, @Query() query: RunLogQueryDto): Promise<RunLogPage> {
    return this.logs.page(id, query);
  }

  @Get(':id/logs/stream')
  @ApiOperation({
    summary: "Follow a run's log live (Server-Sent Events)",
    description:
      'Replays the stored lines after Last-Event-ID (or afterId, or from the start), then sends new lines as ' +
      'they are committed. Each event: `id` = the line id, `data` = the line as JSON (like a logs page item). ' +
      'A `: keepalive` comment every 15 s.',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'Resume after this line id (set by EventSource).',
  })
  @ApiOkResponse({ description: 'An endless text/event-stream.' })
  @ApiBadRequestResponse({ type: ApiErrorDto })
  @ApiNotFoundResponse(NOT_FOUND)
  async stream(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: RunLogStreamQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() response: ServerResponse,
  ): Promise<void> {
    await this.logs.stream(id, query, lastEventId, response);
  }
}
