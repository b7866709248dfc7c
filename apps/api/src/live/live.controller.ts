import type { ServerResponse } from 'node:http';

import { Controller, Get, Param, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';

import { ApiErrorDto } from '../http/api-error.dto.js';
import { runNotFound } from '../runs/run-errors.js';
import { RUN_ID_PIPE } from '../runs/run-id.pipe.js';
import { LiveHub } from './live-hub.js';
import { READERS, Roles } from '../auth/access.decorators.js';

const STREAM = {
  description: 'An endless text/event-stream (docs/live.md has every event and its data).',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
};
const UNAVAILABLE = { type: ApiErrorDto, description: 'Postgres is unavailable (Retry-After).' };

/** Live runs over Server-Sent Events, pushed from Postgres NOTIFY (docs/live.md). */
@ApiTags('live')
@Roles(...READERS)
@Controller({ path: 'runs', version: '1' })
export class LiveController {
  constructor(private readonly hub: LiveHub) {}

  @Get('live')
  @ApiOperation({
    summary: 'Follow every run live (Server-Sent Events)',
    description:
      '`event: run` with the run as GET /v1/runs lists it, whenever a run is created or changes (not on ' +
      'heartbeats alone); `event: deleted` `{id}` when one is deleted; `event: resync` `{}` when changes may ' +
      'have been missed (list again). Open the stream first, then GET /v1/runs. A `: keepalive` comment ' +
      'every LOG_STREAM_KEEPALIVE_MS.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse(STREAM)
  @ApiServiceUnavailableResponse(UNAVAILABLE)
  async all(@Res() response: ServerResponse): Promise<void> {
    await this.hub.watchAll(response);
  }

  @Get(':id/live')
  @ApiOperation({
    summary: "Follow one run live: its state and its steps' metrics (Server-Sent Events)",
    description:
      'First `event: run` with the run as GET /v1/runs/{id} returns it, then `event: run` on every change ' +
      '(not on heartbeats alone) and `event: steps` with the rows of GET /v1/runs/{id}/metrics of the ' +
      'steps whose rollouts changed (coalesced over ~200 ms); `event: deleted` `{id}` ends it. After the ' +
      'first event, GET /v1/runs/{id}/metrics and apply `steps` rows over it by step. A `: keepalive` ' +
      'comment every LOG_STREAM_KEEPALIVE_MS.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse(STREAM)
  @ApiBadRequestResponse({ type: ApiErrorDto, description: 'The id is not a UUID.' })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'No run has this id.' })
  @ApiServiceUnavailableResponse(UNAVAILABLE)
  async run(@Param('id', RUN_ID_PIPE) id: string, @Res() response: ServerResponse): Promise<void> {
    if (!(await this.hub.watchRun(id, response))) throw runNotFound(id);
  }
}
