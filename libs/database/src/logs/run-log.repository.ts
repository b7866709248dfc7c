import type { LogStream, RunLogLineView, RunLogPage } from '@brier/contracts';
import type { DataSource } from 'typeorm';

import { leaseRefusal, lockLease, type Fenced } from '../agents/fence.js';
import { isUuid } from '../uuid.js';

/** The NOTIFY channel of new log lines; the payload is a RunLogNotification as JSON. */
export const RUN_LOG_CHANNEL = 'brier_run_logs';

/** What a NOTIFY on RUN_LOG_CHANNEL says: lines up to lastId were committed for the run. */
export interface RunLogNotification {
  runId: string;
  attempt: number;
  stream: LogStream;
  lastId: string;
}

export interface AppendLogsInput {
  attempt: number;
  stream: LogStream;
  firstSeq: number;
  lines: readonly string[];
}

/** Which lines to read, always in id (commit) order. */
export interface RunLogQuery {
  attempt?: number;
  stream?: LogStream;
  /** Lines with seq > afterSeq (meaningful with one attempt and one stream). */
  afterSeq?: number;
  /** Lines after this id (a previous page's nextAfterId, or an SSE Last-Event-ID). */
  afterId?: string;
  /** 1–5000. */
  limit: number;
}

interface LogRow {
  id: string;
  attempt: number;
  stream: LogStream;
  seq: string;
  line: string;
  at: Date;
}

/**
 * run_logs: lines the running agent ships (fenced by its lease, idempotent per (run, attempt,
 * stream, seq)), announced with NOTIFY in the same transaction, and read back in commit order.
 */
export class RunLogRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Store a batch of consecutive lines (line i is seq firstSeq + i); lines already stored are
   * skipped, so a replayed batch is a no-op. The lease lock also serializes the appends of one
   * run, so its lines' ids follow commit order: a reader that has seen id N never later finds a
   * new line below N. Refused (and nothing written) when the lease is not the run's current one
   * or the attempt is not the lease's.
   */
  async append(
    runId: string,
    leaseToken: string,
    input: AppendLogsInput,
  ): Promise<Fenced<{ inserted: number; skipped: number }>> {
    if (!isUuid(runId)) return { ok: false, reason: 'unknown-run' };
    return this.dataSource.transaction(async (manager) => {
      const lease = await lockLease(manager, runId, leaseToken);
      if (!lease) return leaseRefusal(manager, runId);
      if (lease.attempt !== input.attempt) {
        return {
          ok: false,
          reason: 'attempt-mismatch',
          status: 'running',
          message: `this lease is attempt ${lease.attempt}, not ${input.attempt}`,
        };
      }
      const rows = await manager.query<{ id: string }[]>(
        `INSERT INTO run_logs (run_id, attempt, stream, seq, line)
         SELECT $1, $2, $3, $4::bigint + u.ord - 1, u.line
         FROM unnest($5::text[]) WITH ORDINALITY AS u(line, ord)
         ON CONFLICT (run_id, attempt, stream, seq) DO NOTHING
         RETURNING id`,
        [runId, input.attempt, input.stream, input.firstSeq, input.lines],
      );
      if (rows.length > 0) {
        const lastId = rows.reduce((max, row) => (BigInt(row.id) > BigInt(max) ? row.id : max), rows[0]!.id);
        const notification: RunLogNotification = {
          runId,
          attempt: input.attempt,
          stream: input.stream,
          lastId,
        };
        // Delivered to listeners when (and only if) this transaction commits.
        await manager.query(`SELECT pg_notify($1, $2)`, [RUN_LOG_CHANNEL, JSON.stringify(notification)]);
      }
      return { ok: true, value: { inserted: rows.length, skipped: input.lines.length - rows.length } };
    });
  }

  /** A page of a run's lines in commit order; nextAfterId continues it (also once more lines arrive). */
  async page(runId: string, query: RunLogQuery): Promise<RunLogPage> {
    const params: unknown[] = [runId];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where = ['run_id = $1'];
    if (query.attempt !== undefined) where.push(`attempt = ${param(query.attempt)}`);
    if (query.stream !== undefined) where.push(`stream = ${param(query.stream)}`);
    if (query.afterSeq !== undefined) where.push(`seq > ${param(query.afterSeq)}::bigint`);
    if (query.afterId !== undefined) where.push(`id > ${param(query.afterId)}::bigint`);
    const limit = Math.min(Math.max(Math.trunc(query.limit), 1), 5000);
    const rows = isUuid(runId)
      ? await this.dataSource.query<LogRow[]>(
          `SELECT id, attempt, stream, seq, line, at FROM run_logs
           WHERE ${where.join(' AND ')} ORDER BY id LIMIT ${param(limit + 1)}`,
          params,
        )
      : [];
    const items = rows.slice(0, limit).map(toLineView);
    return {
      items,
      nextAfterId: items.length > 0 ? items[items.length - 1]!.id : (query.afterId ?? null),
      hasMore: rows.length > limit,
    };
  }
}

function toLineView(row: LogRow): RunLogLineView {
  return {
    id: row.id,
    attempt: row.attempt,
    stream: row.stream,
    seq: Number(row.seq),
    line: row.line,
    at: row.at.toISOString(),
  };
}
