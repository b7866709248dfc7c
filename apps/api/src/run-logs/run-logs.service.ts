import type { ServerResponse } from 'node:http';

import type { AppendRunLogsDto, AppendRunLogsResponse, RunLogPage } from '@brier/contracts';
import { RunLogRepository, RunRepository } from '@brier/database';
import { Injectable, Logger } from '@nestjs/common';

import { ApiConfig } from '../config/api.config.js';
import { apiError, invalidRequest } from '../http/api-error.js';
import { leaseRefusalError } from '../agents/lease-errors.js';
import type { RunLogQueryDto, RunLogStreamQueryDto } from './dto/run-log.query.dto.js';
import { LOG_ID_PATTERN } from './dto/run-log.query.dto.js';
import { RunLogListener } from './run-log-listener.js';
import { RunLogSseSession, type RunLogFilter } from './run-log-sse.js';

const DEFAULT_PAGE_LINES = 1000;

/** A run's log: the agent appends (fenced, idempotent); researchers page through it or follow it live. */
@Injectable()
export class RunLogsService {
  private readonly logger = new Logger('RunLogs');

  constructor(
    private readonly logs: RunLogRepository,
    private readonly runs: RunRepository,
    private readonly listener: RunLogListener,
    private readonly config: ApiConfig,
  ) {}

  async append(runId: string, dto: AppendRunLogsDto): Promise<AppendRunLogsResponse> {
    const result = await this.logs.append(runId, dto.leaseToken, {
      attempt: dto.attempt,
      stream: dto.stream,
      firstSeq: dto.firstSeq,
      lines: dto.lines,
    });
    if (!result.ok) throw leaseRefusalError(runId, result);
    return result.value;
  }

  async page(runId: string, query: RunLogQueryDto): Promise<RunLogPage> {
    await this.requireRun(runId);
    return this.logs.page(runId, {
      ...filterOf(query),
      ...afterIdOf(query.afterId),
      limit: query.limit ?? DEFAULT_PAGE_LINES,
    });
  }

  /**
   * Answer with an SSE stream of the run's lines: replayed from Last-Event-ID (or afterId, or the
   * start), then live. Errors before the stream starts are ordinary HTTP errors.
   */
  async stream(
    runId: string,
    query: RunLogStreamQueryDto,
    lastEventId: string | undefined,
    response: ServerResponse,
  ): Promise<void> {
    if (lastEventId !== undefined && !LOG_ID_PATTERN.test(lastEventId)) {
      throw invalidRequest([{ path: 'Last-Event-ID', message: 'Last-Event-ID must be a log line id' }]);
    }
    const filter = filterOf(query);
    await this.requireRun(runId);
    const session = new RunLogSseSession(
      runId,
      filter,
      lastEventId ?? query.afterId,
      response,
      this.logs,
      this.logger,
    );
    await session.start((s) => this.listener.subscribe(s), this.config.LOG_STREAM_KEEPALIVE_MS);
  }

  private async requireRun(runId: string): Promise<void> {
    if (!(await this.runs.findById(runId))) throw apiError(404, `run ${runId} not found`);
  }
}

function filterOf(query: RunLogStreamQueryDto): RunLogFilter {
  if (query.afterSeq !== undefined && (query.attempt === undefined || query.stream === undefined)) {
    throw invalidRequest([
      { path: 'afterSeq', message: 'afterSeq needs attempt and stream (seq counts per stream)' },
    ]);
  }
  return {
    ...(query.attempt === undefined ? {} : { attempt: query.attempt }),
    ...(query.stream === undefined ? {} : { stream: query.stream }),
    ...(query.afterSeq === undefined ? {} : { afterSeq: query.afterSeq }),
  };
}

function afterIdOf(afterId: string | undefined): { afterId?: string } {
  return afterId === undefined ? {} : { afterId };
}
