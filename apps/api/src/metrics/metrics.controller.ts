import type { ServerResponse } from 'node:http';

import type { ReliabilityGroup } from '@brier/database';
import { Controller, Get, Param, ParseIntPipe, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';

import { invalidRequest } from '../http/api-error.js';
import { ApiErrorDto } from '../http/api-error.dto.js';
import { EnsemblesQueryDto } from '../rollouts/dto/rollout-queries.dto.js';
import { writeChunk } from '../rollouts/http-body.js';
import { csvLine } from '../rollouts/rollout-view.js';
import { RUN_ID } from '../rollouts/rollouts.controller.js';
import { CompareQueryDto, ReliabilityQueryDto, StepMetricsQueryDto } from './metrics-queries.dto.js';
import {
  METRICS_COLUMNS,
  MetricsService,
  type CompareView,
  type EnsemblesView,
  type MetricsRowView,
} from './metrics.service.js';
import { READERS, Roles } from '../auth/access.decorators.js';

const NOT_FOUND = { type: ApiErrorDto, description: 'No run has this id.' };
const STEP = new ParseIntPipe({
  exceptionFactory: () => invalidRequest([{ path: 'step', message: 'step must be a non-negative integer' }]),
});

const METRICS_ROW_SCHEMA = {
  type: 'object',
  properties: Object.fromEntries(METRICS_COLUMNS.map((c) => [c, { type: 'number', nullable: true }])),
};

/** Calibration metrics of a run, from SQL: per step (aggregates), reliability bins, ensembles. */
@ApiTags('metrics')
@Roles(...READERS)
@Controller({ path: 'runs', version: '1' })
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get(':id/metrics')
  @ApiOperation({
    summary: 'Per-step metrics (one object per step)',
    description:
      "From the per-step aggregates maintained on ingest (never a scan of rollouts), each step's current " +
      `attempt. Keys: ${METRICS_COLUMNS.join(', ')} (docs/metrics.md); null where the source lacks a field.`,
  })
  @ApiOkResponse({ schema: { type: 'array', items: METRICS_ROW_SCHEMA } })
  @ApiBadRequestResponse({ type: ApiErrorDto })
  @ApiNotFoundResponse(NOT_FOUND)
  stepMetrics(@Param('id', RUN_ID) id: string): Promise<MetricsRowView[]> {
    return this.metrics.stepMetrics(id);
  }

  @Get(':id/metrics.csv')
  @ApiOperation({ summary: 'Per-step metrics as CSV (header line, full precision; empty = unknown)' })
  @ApiProduces('text/csv')
  @ApiOkResponse({ schema: { type: 'string' } })
  @ApiNotFoundResponse(NOT_FOUND)
  async stepMetricsCsv(@Param('id', RUN_ID) id: string, @Res() res: ServerResponse): Promise<void> {
    const rows = await this.metrics.stepMetrics(id);
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${id}-metrics.csv"`);
    let text = csvLine(METRICS_COLUMNS);
    for (const row of rows) text += csvLine(METRICS_COLUMNS.map((c) => row[c]));
    if (await writeChunk(res, text)) res.end();
  }

  @Get(':id/reliability')
  @ApiOperation({
    summary: 'Reliability-diagram bins pooled over groups of steps',
    description:
      'Group g pools steps [g·group, (g+1)·group): the 10 positive-class bins with count, mean P(YES), observed YES fraction.',
  })
  @ApiOkResponse({ schema: { type: 'array', items: { type: 'object', additionalProperties: true } } })
  @ApiBadRequestResponse({ type: ApiErrorDto })
  @ApiNotFoundResponse(NOT_FOUND)
  reliability(
    @Param('id', RUN_ID) id: string,
    @Query() query: ReliabilityQueryDto,
  ): Promise<ReliabilityGroup[]> {
    return this.metrics.reliability(id, query.group);
  }

  @Get(':id/steps/:step/metrics')
  @ApiOperation({
    summary: "One step's metrics; source=rollouts recomputes them from the raw rows (verification)",
  })
  @ApiOkResponse({ schema: METRICS_ROW_SCHEMA })
  @ApiBadRequestResponse({ type: ApiErrorDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'No such run, or no rollouts at that step.' })
  stepMetricsAt(
    @Param('id', RUN_ID) id: string,
    @Param('step', STEP) step: number,
    @Query() query: StepMetricsQueryDto,
  ): Promise<MetricsRowView> {
    if (step < 0 || step > 2_147_483_647)
      throw invalidRequest([{ path: 'step', message: 'step must be a non-negative integer' }]);
    return this.metrics.stepMetricsAt(id, step, query.source);
  }

  @Get(':id/ensembles')
  @ApiOperation({
    summary: 'Per-question ensembles over a range of steps',
    description:
      "A question's ensemble forecast is the mean P(YES) over its rollouts in the steps (each step's current " +
      "attempt); the answer has the ensemble's Brier, ECE (10 bins), MCE and accuracy over all questions, and " +
      'the questions in pages (after = nextAfter).',
  })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true } })
  @ApiBadRequestResponse({ type: ApiErrorDto })
  @ApiNotFoundResponse(NOT_FOUND)
  ensembles(@Param('id', RUN_ID) id: string, @Query() query: EnsemblesQueryDto): Promise<EnsemblesView> {
    return this.metrics.ensembles(id, query.steps, query.limit ?? 1000, query.after);
  }
}

/** Runs side by side: one metric, steps × runs. */
@ApiTags('metrics')
@Roles(...READERS)
@Controller({ path: 'compare', version: '1' })
export class CompareController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiOperation({
    summary: 'One metric of several runs, step by step',
    description:
      'steps: one row per step any run has, values keyed by run id (null where a run lacks the step).',
  })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true } })
  @ApiBadRequestResponse({ type: ApiErrorDto })
  @ApiNotFoundResponse({
    type: ApiErrorDto,
    description: 'A run id that does not exist (listed in missing).',
  })
  compare(@Query() query: CompareQueryDto): Promise<CompareView> {
    return this.metrics.compare(query.runs, query.metric);
  }
}
