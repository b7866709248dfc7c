import {
  BATCH_ID_HEADER,
  BATCH_ID_PATTERN,
  LEASE_TOKEN_HEADER,
  NDJSON_CONTENT_TYPES,
  type IngestRolloutsResponse,
  type LeaseConflictBody,
} from '@brier/contracts';
import {
  BatchRunMismatchError,
  LeaseLostError,
  RolloutIngestRepository,
  RunRepository,
  UnknownRunError,
  type RunEntity,
} from '@brier/database';
import { HttpException, Injectable } from '@nestjs/common';

import {
  apiError,
  invalidRequest,
  reasonPhrase,
  type ApiErrorBody,
  type FieldMessage,
} from '../http/api-error.js';
import { bodyStream, contentEncodingOf, mediaTypeOf, type RawRequest } from './http-body.js';
import { BodyTooLargeError, NdjsonChunker } from './ndjson-chunker.js';
import { RolloutLimitsConfig } from './rollout-limits.config.js';
import { RolloutLoader, TooManyRolloutsError, type LineError, type LoadSummary } from './rollout-loader.js';
import { RolloutParsePool } from './rollout-parse-pool.js';
import { penaltyOf, type WireContext } from './rollout-wire.parser.js';
import { IngestSlots } from './rollout-slots.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 400 listing every bad line (up to the reported maximum), naming line numbers and fields. */
export function lineErrorsException(
  summary: Pick<LoadSummary, 'errors' | 'errorLines' | 'received'>,
  what: string,
  details: Record<string, unknown> = {},
): HttpException {
  const message: FieldMessage[] = summary.errors.map((e: LineError) => ({
    path: `lines[${e.line}]${e.field === '' ? '' : `.${e.field}`}`,
    message: `line ${e.line}: ${e.field === '' ? 'the line' : e.field} ${e.message}`,
  }));
  const body: ApiErrorBody = {
    statusCode: 400,
    error: reasonPhrase(400),
    message,
    ...details,
    lines: [...new Set(summary.errors.map((e) => e.line))],
    errorLines: summary.errorLines,
    received: summary.received,
    detail: `${summary.errorLines} of ${summary.received} ${what} line(s) are invalid; nothing was stored`,
  };
  return new HttpException(body, 400);
}

function leaseConflict(runId: string, run: Pick<RunEntity, 'status'> | null, message: string): HttpException {
  const details: Omit<LeaseConflictBody, 'statusCode' | 'error' | 'message'> & { runId: string } = {
    runId,
    reason: 'lease-lost',
    ...(run ? { status: run.status } : {}),
  };
  return apiError(409, message, details);
}

/**
 * POST /v1/runs/{id}/rollouts: a body of rollouts (NDJSON, gzip or deflate accepted; or a JSON
 * array) stored as one idempotent batch named by the Batch-Id header, in one transaction, streamed
 * through RolloutLoader (parsed by worker threads while earlier chunks are written; memory: the
 * chunks in flight, whatever the body's size). A malformed line stores nothing and answers 400
 * with every bad line; a replayed Batch-Id is a no-op.
 */
@Injectable()
export class RolloutIngestService {
  constructor(
    private readonly runs: RunRepository,
    private readonly ingest: RolloutIngestRepository,
    private readonly limits: RolloutLimitsConfig,
    private readonly slots: IngestSlots,
    private readonly pool: RolloutParsePool,
  ) {}

  async ingestRequest(runId: string, req: RawRequest): Promise<IngestRolloutsResponse> {
    const batchId = header(req, BATCH_ID_HEADER);
    const problems: FieldMessage[] = [];
    if (batchId === undefined)
      problems.push({ path: BATCH_ID_HEADER, message: `the ${BATCH_ID_HEADER} header is required` });
    else if (!BATCH_ID_PATTERN.test(batchId)) {
      problems.push({
        path: BATCH_ID_HEADER,
        message: `${BATCH_ID_HEADER} must be 1–128 characters of A–Z a–z 0–9 . _ -`,
      });
    }
    const leaseToken = header(req, LEASE_TOKEN_HEADER);
    if (leaseToken !== undefined && !UUID.test(leaseToken)) {
      problems.push({ path: LEASE_TOKEN_HEADER, message: `${LEASE_TOKEN_HEADER} must be a UUID` });
    }
    const type = mediaTypeOf(req.headers['content-type']);
    const isJson = type === 'application/json';
    if (!isJson && !(NDJSON_CONTENT_TYPES as readonly string[]).includes(type ?? '')) {
      throw apiError(
        415,
        `rollouts are NDJSON (Content-Type: application/x-ndjson) or a JSON array, got ${type === null ? 'no Content-Type' : `Content-Type ${type.slice(0, 100)}`}`,
      );
    }
    const encoding = isJson ? 'identity' : contentEncodingOf(req.headers['content-encoding']);
    if (encoding === null) throw apiError(415, 'Content-Encoding must be identity, gzip or deflate');
    if (isJson && !Array.isArray(req.body)) {
      problems.push({ path: '', message: 'a JSON body must be an array of rollouts (or send NDJSON)' });
    }
    if (problems.length > 0) throw invalidRequest(problems);
    const declared = Number(req.headers['content-length']);
    if (
      encoding === 'identity' &&
      Number.isFinite(declared) &&
      declared > this.limits.ROLLOUTS_MAX_BODY_BYTES
    ) {
      throw this.tooLarge();
    }

    const run = await this.runs.findById(runId);
    if (!run) throw apiError(404, `run ${runId} not found`);
    if (
      leaseToken !== undefined &&
      (run.status !== 'running' || run.leaseToken !== leaseToken.toLowerCase())
    ) {
      throw leaseConflict(
        runId,
        run,
        run.status === 'running'
          ? 'this lease is over: another attempt holds the run now'
          : `the run is ${run.status}: this lease is over`,
      );
    }
    const context: WireContext = {
      defaultAttempt: run.attempt,
      ...(leaseToken !== undefined ? { requiredAttempt: run.attempt } : {}),
      penalty: penaltyOf(run.spec),
    };

    const body = isJson ? null : bodyStream(req, encoding);
    try {
      return await this.slots.run(async () => {
        const session = await this.openSession(runId, batchId!);
        if (session === null) {
          return { inserted: 0, skipped: await this.countRecords(req, body), duplicateBatch: true };
        }
        try {
          const loader = new RolloutLoader(session, this.pool, {
            context,
            maxRows: this.limits.ROLLOUTS_MAX_ROWS,
            ...this.lineLimits(),
          });
          await this.feed(loader, req, body);
          const summary = await loader.finish();
          if (summary.errorLines > 0) {
            await session.rollback();
            if (summary.attemptMismatch && leaseToken !== undefined) {
              throw apiError(
                409,
                `a line names another attempt than the lease's (${run.attempt}); nothing was stored`,
                {
                  runId,
                  reason: 'attempt-mismatch',
                  lines: [...new Set(summary.errors.filter((e) => e.field === 'attempt').map((e) => e.line))],
                },
              );
            }
            throw lineErrorsException(summary, 'rollout');
          }
          return await session.commit(leaseToken === undefined ? {} : { leaseToken });
        } catch (error) {
          await session.rollback();
          if (error instanceof LeaseLostError) {
            throw leaseConflict(
              runId,
              await this.runs.findById(runId),
              'the lease ended while the batch was received; nothing was stored',
            );
          }
          throw error;
        }
      });
    } catch (error) {
      throw this.translate(error);
    } finally {
      body?.close();
    }
  }

  private async openSession(runId: string, batchId: string) {
    try {
      return await this.ingest.open(runId, batchId);
    } catch (error) {
      if (error instanceof BatchRunMismatchError) {
        throw apiError(409, `${BATCH_ID_HEADER} ${batchId} was used for another run: use a new batch id`, {
          runId,
          batchId,
        });
      }
      if (error instanceof UnknownRunError) throw apiError(404, `run ${runId} not found`);
      throw error;
    }
  }

  private async feed(
    loader: RolloutLoader,
    req: RawRequest,
    body: ReturnType<typeof bodyStream> | null,
  ): Promise<void> {
    if (body === null) {
      const items = req.body as unknown[];
      for (let i = 0; i < items.length; i++) await loader.add(i + 1, items[i]);
      return;
    }
    for await (const chunk of body.stream as AsyncIterable<Buffer>) await loader.addBytes(chunk);
  }

  /** Records of a replayed batch: counted, not parsed. */
  private async countRecords(req: RawRequest, body: ReturnType<typeof bodyStream> | null): Promise<number> {
    if (body === null) return (req.body as unknown[]).length;
    const chunker = new NdjsonChunker({ ...this.lineLimits(), chunkBytes: 1 << 20 });
    for await (const chunk of body.stream as AsyncIterable<Buffer>) chunker.push(chunk);
    chunker.end();
    return chunker.records;
  }

  private lineLimits() {
    return {
      maxBytes: this.limits.ROLLOUTS_MAX_BODY_BYTES,
      maxLineBytes: this.limits.ROLLOUTS_MAX_LINE_BYTES,
    };
  }

  private tooLarge(): HttpException {
    return apiError(
      413,
      `request body is larger than the ${this.limits.ROLLOUTS_MAX_BODY_BYTES} bytes (decompressed) this route accepts: send smaller batches`,
    );
  }

  private translate(error: unknown): unknown {
    if (error instanceof BodyTooLargeError) {
      return error.what === 'body'
        ? this.tooLarge()
        : apiError(413, `a line is longer than ${error.limitBytes} bytes`);
    }
    if (error instanceof TooManyRolloutsError) {
      return apiError(413, `more than ${error.limit} rollouts in one request: send smaller batches`);
    }
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') {
      return apiError(
        400,
        `the body does not decompress as its Content-Encoding says: ${(error as Error).message}`,
      );
    }
    if (code === 'ECONNRESET' || (error as Error | null)?.message === 'aborted') {
      return apiError(400, 'the request body ended early (connection closed); nothing was stored');
    }
    return error;
  }
}

function header(req: RawRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.trim();
}
