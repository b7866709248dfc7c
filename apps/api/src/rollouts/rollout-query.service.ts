import type { ServerResponse } from 'node:http';

import type { RolloutView } from '@brier/contracts';
import {
  InvalidRolloutCursorError,
  RolloutQueryRepository,
  RunRepository,
  type RolloutFilter,
  type SampleFilter,
} from '@brier/database';
import { Injectable } from '@nestjs/common';

import { apiError, invalidRequest } from '../http/api-error.js';
import type {
  ListRolloutsQueryDto,
  RolloutFilterQueryDto,
  SamplesQueryDto,
} from './dto/rollout-queries.dto.js';
import { parseStepRange } from './dto/query-values.js';
import { writeChunk } from './http-body.js';
import { ExportSlots } from './rollout-slots.js';
import { csvLine, rolloutCsvColumns, rolloutCsvLine, toRolloutView } from './rollout-view.js';

export interface RolloutPageView {
  items: RolloutView[];
  nextCursor: string | null;
}

export interface SamplesView {
  step: number | null;
  filter: SampleFilter;
  seed: string;
  items: RolloutView[];
}

/** The query's filters as the repository takes them (400 for contradictory ones). */
export function toRolloutFilter(query: RolloutFilterQueryDto): RolloutFilter {
  const filter: RolloutFilter = {};
  if (query.step !== undefined && query.steps !== undefined) {
    throw invalidRequest([{ path: 'steps', message: 'give step or steps, not both' }]);
  }
  if (query.step !== undefined) {
    filter.stepFrom = query.step;
    filter.stepTo = query.step;
  }
  if (query.steps !== undefined) {
    const range = parseStepRange(query.steps);
    if (!range) throw invalidRequest([{ path: 'steps', message: 'steps must be a range a-b with a <= b' }]);
    [filter.stepFrom, filter.stepTo] = range;
  }
  if (query.attempt !== undefined) {
    filter.attempt =
      query.attempt === 'latest' || query.attempt === 'all' ? query.attempt : Number(query.attempt);
  }
  if (query.parseable !== undefined) filter.parseable = query.parseable;
  if (query.label !== undefined) filter.label = query.label;
  if (query.min_p_yes !== undefined) filter.minPYes = query.min_p_yes;
  if (query.max_p_yes !== undefined) filter.maxPYes = query.max_p_yes;
  if (query.correct !== undefined) filter.correct = query.correct;
  if (query.example_id !== undefined) filter.exampleId = query.example_id;
  return filter;
}

/** GET /v1/runs/{id}/rollouts (pages and streamed CSV/JSONL exports) and /samples. */
@Injectable()
export class RolloutQueryService {
  constructor(
    private readonly runs: RunRepository,
    private readonly rollouts: RolloutQueryRepository,
    private readonly exports: ExportSlots,
  ) {}

  async page(runId: string, query: ListRolloutsQueryDto): Promise<RolloutPageView> {
    const filter = toRolloutFilter(query);
    await this.requireRun(runId);
    try {
      const page = await this.rollouts.page(runId, filter, {
        limit: query.limit ?? 100,
        includePrompt: query.include === 'prompt',
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      });
      return { items: page.items.map(toRolloutView), nextCursor: page.nextCursor };
    } catch (error) {
      if (error instanceof InvalidRolloutCursorError) {
        throw invalidRequest([
          { path: 'cursor', message: 'cursor must be a nextCursor this API returned, passed as it is' },
        ]);
      }
      throw error;
    }
  }

  /**
   * Every matching rollout as CSV (with a header line) or JSONL, written as the cursor yields it and
   * only as fast as the client reads (backpressure). Headers go out with the first chunk, so an
   * unknown run is still a 404.
   */
  async export(
    runId: string,
    query: ListRolloutsQueryDto,
    format: 'csv' | 'jsonl',
    res: ServerResponse,
  ): Promise<void> {
    const filter = toRolloutFilter(query);
    await this.requireRun(runId);
    const includePrompt = query.include === 'prompt';
    const columns = rolloutCsvColumns(includePrompt);
    await this.exports.run(async () => {
      res.statusCode = 200;
      res.setHeader(
        'Content-Type',
        format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      );
      res.setHeader('Content-Disposition', `attachment; filename="${runId}-rollouts.${format}"`);
      res.setHeader('Cache-Control', 'no-store');
      if (format === 'csv' && !(await writeChunk(res, csvLine(columns)))) return;
      const rows = this.rollouts.export(runId, filter, { includePrompt });
      for await (const chunk of rows) {
        let text = '';
        for (const row of chunk) {
          const view = toRolloutView(row);
          text += format === 'csv' ? rolloutCsvLine(view, columns) : `${JSON.stringify(view)}\n`;
        }
        // The client went away: returning from the loop closes the cursor and frees the connection.
        if (!(await writeChunk(res, text))) return;
      }
      res.end();
    });
  }

  async samples(runId: string, query: SamplesQueryDto): Promise<SamplesView> {
    await this.requireRun(runId);
    const filter = query.filter ?? 'random';
    const seed = query.seed ?? '0';
    const step = query.step ?? (await this.rollouts.latestStep(runId));
    if (step === null) return { step: null, filter, seed, items: [] };
    const rows = await this.rollouts.sample(runId, step, filter, query.n ?? 10, seed);
    return { step, filter, seed, items: rows.map(toRolloutView) };
  }

  private async requireRun(runId: string): Promise<void> {
    if (!(await this.runs.findById(runId))) throw apiError(404, `run ${runId} not found`);
  }
}
