import type { DataSource } from 'typeorm';

import { CheckpointEntity } from '../entities/checkpoint.entity.js';
import { RunAttemptEntity } from '../entities/run-attempt.entity.js';
import { RunEventEntity } from '../entities/run-event.entity.js';
import { isUuid } from '../uuid.js';

export interface RunEventsQuery {
  /** Only events with a greater id (the nextAfter of the previous page). */
  afterId?: string;
  /** Page size, 1–1000 (default 200). */
  limit?: number;
}

export interface RunEventPage {
  items: RunEventEntity[];
  /** Pass as afterId for the next page; null on the last page. */
  nextAfter: string | null;
}

const BIGINT = /^\d{1,19}$/;

/** What happened to a run: its attempts (claims), events (in order) and checkpoints. */
export class RunHistoryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Attempts by number. */
  async attempts(runId: string): Promise<RunAttemptEntity[]> {
    if (!isUuid(runId)) return [];
    return this.dataSource
      .getRepository(RunAttemptEntity)
      .find({ where: { runId }, order: { number: 'ASC' } });
  }

  /** Events oldest first, in keyset pages by id. */
  async events(runId: string, query: RunEventsQuery = {}): Promise<RunEventPage> {
    if (!isUuid(runId)) return { items: [], nextAfter: null };
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? 200), 1), 1000);
    if (query.afterId !== undefined && !BIGINT.test(query.afterId)) {
      throw new TypeError('afterId must be an event id (digits)');
    }
    const rows = await this.dataSource
      .getRepository(RunEventEntity)
      .createQueryBuilder('e')
      .where('e.run_id = :runId', { runId })
      .andWhere(query.afterId === undefined ? 'TRUE' : 'e.id > :afterId::bigint', { afterId: query.afterId })
      .orderBy('e.id', 'ASC')
      .limit(limit + 1)
      .getMany();
    const items = rows.slice(0, limit);
    return { items, nextAfter: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
  }

  /** Checkpoints by step, then kind. */
  async checkpoints(runId: string): Promise<CheckpointEntity[]> {
    if (!isUuid(runId)) return [];
    return this.dataSource
      .getRepository(CheckpointEntity)
      .find({ where: { runId }, order: { step: 'ASC', kind: 'ASC', id: 'ASC' } });
  }
}
