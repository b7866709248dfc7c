import type { ServerResponse } from 'node:http';

import {
  BATCH_ID_HEADER,
  LEASE_TOKEN_HEADER,
  ROLLOUT_WIRE_KEYS,
  type IngestRolloutsResponse,
} from '@brier/contracts';
import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiProperty,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';

import { invalidRequest } from '../http/api-error.js';
import { ApiErrorDto } from '../http/api-error.dto.js';
import { ListRolloutsQueryDto, SamplesQueryDto } from './dto/rollout-queries.dto.js';
import { sendJson, type RawRequest } from './http-body.js';
import { RolloutIngestService } from './rollout-ingest.service.js';
import { RolloutQueryService, type SamplesView } from './rollout-query.service.js';
import { AGENTS, AgentScoped, RateLimited, READERS, Roles } from '../auth/access.decorators.js';

/** `{id}` of /v1/runs/{id}/…: a UUID, or a 400 naming the parameter. */
export const RUN_ID = new ParseUUIDPipe({
  exceptionFactory: () => invalidRequest([{ path: 'id', message: 'id must be a UUID' }]),
});

class IngestRolloutsResponseDto implements IngestRolloutsResponse {
  @ApiProperty({ description: 'Rows new to the database.' }) inserted!: number;
  @ApiProperty({ description: 'Rows already stored, or repeated within the body.' }) skipped!: number;
  @ApiProperty({ description: 'The Batch-Id was stored before: nothing was written.' })
  duplicateBatch!: boolean;
}

const ROLLOUT_SCHEMA = {
  type: 'object',
  description: 'A stored rollout, with the wire names (a valid ingestion line too).',
  additionalProperties: true,
};

const NOT_FOUND = { type: ApiErrorDto, description: 'No run has this id.' };

/** Rollouts in (ingestion, for agents and scripts) and out (pages, exports, samples). */
@ApiTags('rollouts')
@Roles(...READERS)
@Controller({ path: 'runs', version: '1' })
export class RolloutsController {
  constructor(
    private readonly ingestion: RolloutIngestService,
    private readonly query: RolloutQueryService,
  ) {}

  @Post(':id/rollouts')
  @HttpCode(200)
  @Roles(...AGENTS)
  @AgentScoped({ kind: 'run', param: 'id' })
  @RateLimited('ingest')
  @ApiOperation({
    summary: 'Ingest a batch of scored rollouts',
    description:
      `One rollout per line (NDJSON; gzip or deflate Content-Encoding accepted; or a JSON array), keys: ` +
      `${ROLLOUT_WIRE_KEYS.join(', ')}. Required: step, sample_key, ground_truth (or label), and a ` +
      'completion (scored by the API: reward_brier, and the defaults of p_yes, brier_score, …) or p_yes and ' +
      'brier_score. The whole body is one idempotent batch named by Batch-Id, stored in one transaction: a ' +
      'malformed line stores nothing (400 naming every bad line and field), a replayed Batch-Id is a no-op.',
  })
  @ApiConsumes('application/x-ndjson', 'application/json')
  @ApiBody({ schema: { type: 'string', description: 'NDJSON: one rollout object per line.' } })
  @ApiHeader({
    name: BATCH_ID_HEADER,
    required: true,
    description: "The batch's idempotency key: [A-Za-z0-9._-]{1,128}.",
  })
  @ApiHeader({
    name: LEASE_TOKEN_HEADER,
    required: false,
    description: "The agent's lease: the write is fenced to the running attempt (409 when stale).",
  })
  @ApiOkResponse({ type: IngestRolloutsResponseDto })
  @ApiBadRequestResponse({
    type: ApiErrorDto,
    description: 'Bad headers or lines: each as {path: lines[N].field, message}.',
  })
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiConflictResponse({
    type: ApiErrorDto,
    description: 'Stale lease (reason lease-lost), a line of another attempt, or a Batch-Id of another run.',
  })
  @ApiPayloadTooLargeResponse({
    type: ApiErrorDto,
    description: 'Body or rollout count over the configured caps.',
  })
  @ApiUnsupportedMediaTypeResponse({
    type: ApiErrorDto,
    description: 'Not NDJSON or JSON, or an unknown Content-Encoding.',
  })
  ingest(@Param('id', RUN_ID) id: string, @Req() req: RawRequest): Promise<IngestRolloutsResponse> {
    return this.ingestion.ingestRequest(id, req);
  }

  @Get(':id/rollouts')
  @ApiOperation({
    summary: "A run's rollouts: filtered pages, or every match as CSV / JSONL (streamed)",
    description:
      "Each step's current attempt unless attempt=all (or a number). format=json (default): a page in " +
      '(step, attempt, sample_key) order with nextCursor. format=csv (header line first) or jsonl: every ' +
      'matching rollout, streamed from a database cursor.',
  })
  @ApiProduces('application/json', 'text/csv', 'application/x-ndjson')
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        items: { type: 'array', items: ROLLOUT_SCHEMA },
        nextCursor: { type: 'string', nullable: true },
      },
    },
  })
  @ApiBadRequestResponse({ type: ApiErrorDto })
  @ApiNotFoundResponse(NOT_FOUND)
  async list(
    @Param('id', RUN_ID) id: string,
    @Query() query: ListRolloutsQueryDto,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const format = query.format ?? 'json';
    if (format !== 'json') return this.query.export(id, query, format, res);
    sendJson(res, await this.query.page(id, query));
  }

  @Get(':id/samples')
  @ApiOperation({
    summary: "Samples of a step's rollouts, with prompts",
    description:
      'filter=random (seeded: the same seed gives the same sample), parse_failures, or confident_errors ' +
      '(wrong answers that parsed, most confident first).',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        step: { type: 'integer', nullable: true },
        filter: { type: 'string' },
        seed: { type: 'string' },
        items: { type: 'array', items: ROLLOUT_SCHEMA },
      },
    },
  })
  @ApiBadRequestResponse({ type: ApiErrorDto })
  @ApiNotFoundResponse(NOT_FOUND)
  samples(@Param('id', RUN_ID) id: string, @Query() query: SamplesQueryDto): Promise<SamplesView> {
    return this.query.samples(id, query);
  }
}
