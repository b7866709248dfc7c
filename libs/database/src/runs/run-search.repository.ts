import type { RunKind, RunStatus } from '@brier/contracts';
import type { DataSource } from 'typeorm';

import { decodeRunCursor, encodeRunCursor } from './run-cursor.js';
import { toRunEntity, type RunRow } from './run-row.js';
import type { RunPage } from './run.repository.js';

export interface SearchRunsQuery {
  status?: readonly RunStatus[];
  kind?: readonly RunKind[];
  /** Case-insensitive substring of the name (LIKE wildcards are literal). */
  nameContains?: string;
  /** Exact preset name. */
  preset?: string;
  /** Page size, 1–500 (default 50). */
  limit?: number;
  /** Keyset pagination: the nextCursor of the previous page (InvalidCursorError if malformed). */
  cursor?: string;
}

const CREATED_AT_ISO = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The runs list of the researcher-facing API: newest first, filtered by status, kind, name and
 * preset, in keyset pages whose cursors are RunRepository.list's (the same encoding).
 */
export class RunSearchRepository {
  constructor(private readonly dataSource: DataSource) {}

  async search(query: SearchRunsQuery = {}): Promise<RunPage> {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? 50), 1), 500);
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.status?.length) where.push(`status = ANY(${param(query.status)}::text[])`);
    if (query.kind?.length) where.push(`kind = ANY(${param(query.kind)}::text[])`);
    if (query.nameContains) {
      const pattern = `%${query.nameContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(`name ILIKE ${param(pattern)}`);
    }
    if (query.preset !== undefined) where.push(`preset = ${param(query.preset)}`);
    if (query.cursor !== undefined) {
      const cursor = decodeRunCursor(query.cursor);
      where.push(`(created_at, id) < (${param(cursor.createdAt)}::timestamptz, ${param(cursor.id)}::uuid)`);
    }
    const rows = await this.dataSource.query<(RunRow & { created_at_iso: string })[]>(
      `SELECT *, ${CREATED_AT_ISO} AS created_at_iso FROM runs
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC
       LIMIT ${param(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toRunEntity),
      nextCursor:
        rows.length > limit && last ? encodeRunCursor({ createdAt: last.created_at_iso, id: last.id }) : null,
    };
  }
}
