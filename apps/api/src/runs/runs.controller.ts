import { CreateRunDto } from '@brier/contracts';
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiExtraModels,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';

import { ApiErrorDto, FieldMessageDto } from '../http/api-error.dto.js';
import { DeleteRunQueryDto } from './dto/delete-run.query.dto.js';
import { ListRunsQueryDto } from './dto/list-runs.query.dto.js';
import { RunEventsQueryDto } from './dto/run-events.query.dto.js';
import {
  CheckpointDto,
  RunAttemptDto,
  RunEventPageDto,
  toCheckpointDto,
  toRunAttemptDto,
  toRunEventDto,
} from './dto/run-history.dto.js';
import { RunPageDto } from './dto/run-page.dto.js';
import { RunDto, toRunDto } from './dto/run.dto.js';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from './idempotency-key.js';
import { RunControlService } from './run-control.service.js';
import { RUN_ID_PIPE } from './run-id.pipe.js';
import { RunQueryService } from './run-query.service.js';
import { RunSubmitService } from './run-submit.service.js';
import {
  ADMINS,
  CurrentPrincipal,
  OwnRun,
  RateLimited,
  READERS,
  Roles,
  SUBMITTERS,
} from '../auth/access.decorators.js';
import type { Principal } from '../auth/principal.js';

/** The part of Express's response a handler needs to pick its status code. */
interface StatusResponse {
  status(code: number): unknown;
}

const NOT_FOUND = { description: 'No run has this id.', type: ApiErrorDto };
const BAD_ID = { description: 'The id is not a UUID.', type: ApiErrorDto };

/** The researcher-facing runs API (the agent-facing side lives in ../agents). */
@ApiTags('runs')
@ApiExtraModels(ApiErrorDto, FieldMessageDto)
@Roles(...READERS)
@Controller({ path: 'runs', version: '1' })
export class RunsController {
  constructor(
    private readonly submitter: RunSubmitService,
    private readonly control: RunControlService,
    private readonly query: RunQueryService,
  ) {}

  @Post()
  @HttpCode(202)
  @Roles(...SUBMITTERS)
  @RateLimited('submit')
  @ApiOperation({
    summary: 'Submit a run',
    description:
      'A preset (configs/presets) is merged under the request, then the whole request is validated. ' +
      'The run is committed as queued, then its job is enqueued. Import runs are created by POST /v1/imports.',
  })
  @ApiBody({ type: CreateRunDto })
  @ApiHeader({
    name: IDEMPOTENCY_KEY_HEADER,
    required: false,
    description:
      '1–200 printable ASCII characters: the same key returns the same run (200) instead of a new one.',
  })
  @ApiAcceptedResponse({ type: RunDto, description: 'A new run, queued.' })
  @ApiOkResponse({ type: RunDto, description: 'The run this Idempotency-Key created before, as it is now.' })
  @ApiBadRequestResponse({
    type: ApiErrorDto,
    description: 'Invalid request: every problem as {path, message}.',
  })
  @ApiPayloadTooLargeResponse({ type: ApiErrorDto, description: 'Body over 1 MiB.' })
  @ApiUnsupportedMediaTypeResponse({ type: ApiErrorDto, description: 'Body is not application/json.' })
  @ApiUnprocessableEntityResponse({
    type: ApiErrorDto,
    description: 'Idempotency-Key reused for another request.',
  })
  @ApiServiceUnavailableResponse({
    type: ApiErrorDto,
    description:
      'Postgres or Redis unavailable (Retry-After). If the run was saved, the body has runId and run: it stays ' +
      'queued and is enqueued automatically.',
  })
  async submit(
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: StatusResponse,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RunDto> {
    const { run, created } = await this.submitter.submit(
      body,
      parseIdempotencyKey(idempotencyKey),
      principal.name,
    );
    if (!created) response.status(200);
    return toRunDto(run);
  }

  @Get()
  @ApiOperation({ summary: 'List runs, newest first' })
  @ApiOkResponse({ type: RunPageDto })
  @ApiBadRequestResponse({ type: ApiErrorDto, description: 'Unknown filter value or malformed cursor.' })
  async list(@Query() query: ListRunsQueryDto): Promise<RunPageDto> {
    const page = await this.query.list(query);
    return { items: page.items.map(toRunDto), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One run' })
  @ApiOkResponse({ type: RunDto })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse(NOT_FOUND)
  async get(@Param('id', RUN_ID_PIPE) id: string): Promise<RunDto> {
    return toRunDto(await this.query.get(id));
  }

  @Post(':id/cancel')
  @Roles(...SUBMITTERS)
  @OwnRun()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a run',
    description:
      'A queued (or lost) run is cancelled at once (200). A running run gets a cancel request (202): its agent ' +
      'sees it on its next heartbeat and stops the process, then reports the run cancelled.',
  })
  @ApiOkResponse({ type: RunDto, description: 'Cancelled.' })
  @ApiAcceptedResponse({ type: RunDto, description: 'Cancel requested; the agent stops the run.' })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiConflictResponse({ type: ApiErrorDto, description: 'The run has finished; the body names its status.' })
  async cancel(
    @Param('id', RUN_ID_PIPE) id: string,
    @Res({ passthrough: true }) response: StatusResponse,
  ): Promise<RunDto> {
    const { run, outcome } = await this.control.cancel(id);
    if (outcome === 'cancel-requested') response.status(202);
    return toRunDto(run);
  }

  @Post(':id/retry')
  @Roles(...SUBMITTERS)
  @OwnRun()
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a failed, cancelled or lost run again, as its next attempt' })
  @ApiAcceptedResponse({ type: RunDto })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiConflictResponse({ type: ApiErrorDto, description: 'The run is not failed, cancelled or lost.' })
  @ApiServiceUnavailableResponse({
    type: ApiErrorDto,
    description: 'Redis unavailable: the run is queued anyway.',
  })
  async retry(@Param('id', RUN_ID_PIPE) id: string): Promise<RunDto> {
    return toRunDto(await this.control.retry(id));
  }

  @Delete(':id')
  @Roles(...ADMINS)
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a run and everything it owns',
    description: 'Only a finished run, unless force=true, which cancels it first.',
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiConflictResponse({ type: ApiErrorDto, description: 'The run is not finished and force is not set.' })
  async delete(@Param('id', RUN_ID_PIPE) id: string, @Query() query: DeleteRunQueryDto): Promise<void> {
    await this.control.delete(id, query.force ?? false);
  }

  @Get(':id/attempts')
  @ApiOperation({ summary: "A run's attempts (claims by agents), by number" })
  @ApiOkResponse({ type: [RunAttemptDto] })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse(NOT_FOUND)
  async attempts(@Param('id', RUN_ID_PIPE) id: string): Promise<RunAttemptDto[]> {
    return (await this.query.attempts(id)).map(toRunAttemptDto);
  }

  @Get(':id/events')
  @ApiOperation({ summary: "A run's events (status changes with actor and reason), oldest first" })
  @ApiOkResponse({ type: RunEventPageDto })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse(NOT_FOUND)
  async events(
    @Param('id', RUN_ID_PIPE) id: string,
    @Query() query: RunEventsQueryDto,
  ): Promise<RunEventPageDto> {
    const page = await this.query.events(id, query);
    return { items: page.items.map(toRunEventDto), nextAfter: page.nextAfter };
  }

  @Get(':id/checkpoints')
  @ApiOperation({ summary: "A run's checkpoints, by step" })
  @ApiOkResponse({ type: [CheckpointDto] })
  @ApiBadRequestResponse(BAD_ID)
  @ApiNotFoundResponse(NOT_FOUND)
  async checkpoints(@Param('id', RUN_ID_PIPE) id: string): Promise<CheckpointDto[]> {
    return (await this.query.checkpoints(id)).map(toCheckpointDto);
  }
}
