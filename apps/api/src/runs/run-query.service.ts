import {
  RunHistoryRepository,
  RunRepository,
  RunSearchRepository,
  type CheckpointEntity,
  type RunAttemptEntity,
  type RunEntity,
  type RunEventPage,
  type RunPage,
} from '@brier/database';
import { Injectable } from '@nestjs/common';

import type { ListRunsQueryDto } from './dto/list-runs.query.dto.js';
import type { RunEventsQueryDto } from './dto/run-events.query.dto.js';
import { runNotFound } from './run-errors.js';

/** Reading runs: one, a filtered page, and a run's attempts, events and checkpoints. */
@Injectable()
export class RunQueryService {
  constructor(
    private readonly runs: RunRepository,
    private readonly search: RunSearchRepository,
    private readonly history: RunHistoryRepository,
  ) {}

  async get(id: string): Promise<RunEntity> {
    const run = await this.runs.findById(id);
    if (!run) throw runNotFound(id);
    return run;
  }

  async list(query: ListRunsQueryDto): Promise<RunPage> {
    return this.search.search({
      ...(query.status ? { status: query.status } : {}),
      ...(query.kind ? { kind: query.kind } : {}),
      ...(query.name !== undefined ? { nameContains: query.name } : {}),
      ...(query.preset !== undefined ? { preset: query.preset } : {}),
      ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      limit: query.limit ?? 50,
    });
  }

  async attempts(id: string): Promise<RunAttemptEntity[]> {
    await this.get(id);
    return this.history.attempts(id);
  }

  async events(id: string, query: RunEventsQueryDto): Promise<RunEventPage> {
    await this.get(id);
    return this.history.events(id, {
      ...(query.after !== undefined ? { afterId: query.after } : {}),
      limit: query.limit ?? 200,
    });
  }

  async checkpoints(id: string): Promise<CheckpointEntity[]> {
    await this.get(id);
    return this.history.checkpoints(id);
  }
}
