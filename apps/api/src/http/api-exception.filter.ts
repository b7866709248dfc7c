import { InvalidCursorError } from '@brier/database';
import { UnknownPresetError } from '@brier/contracts';
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';

import { QueueUnavailableError } from '../queue/queue-unavailable.error.js';
import { reasonPhrase, type ApiErrorBody } from './api-error.js';
import { isPostgresUnavailable } from './dependency-errors.js';

/** Seconds a client should wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Turns every error into the API's error body (api-error.ts): HttpExceptions as they are, the
 * known domain errors as 400, an unavailable Postgres or Redis as 503 with Retry-After, anything
 * else as a bare 500. Stack traces go to the log, never into an answer.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response: unknown = http.getResponse();
    const request = http.getRequest<{ method?: string; url?: string }>();
    const body = this.toBody(exception, `${request.method ?? ''} ${request.url ?? ''}`);
    const adapter = this.adapterHost.httpAdapter;
    if (adapter.isHeadersSent(response)) {
      // A streamed answer failed half-way: nothing can be said any more, only cut short.
      adapter.end(response);
      return;
    }
    if (body.statusCode === 503) adapter.setHeader(response, 'Retry-After', String(RETRY_AFTER_SECONDS));
    adapter.reply(response, body, body.statusCode);
  }

  private toBody(exception: unknown, route: string): ApiErrorBody {
    if (exception instanceof HttpException) return fromHttpException(exception);
    if (exception instanceof UnknownPresetError) {
      return {
        statusCode: 400,
        error: reasonPhrase(400),
        message: [{ path: 'preset', message: exception.message }],
      };
    }
    if (exception instanceof InvalidCursorError) {
      return {
        statusCode: 400,
        error: reasonPhrase(400),
        message: [
          { path: 'cursor', message: 'cursor must be a nextCursor this API returned, passed as it is' },
        ],
      };
    }
    if (exception instanceof QueueUnavailableError) {
      this.logger.warn(`${route}: ${exception.message}`);
      return unavailable('the job queue (Redis) is unavailable; try again shortly');
    }
    if (isPostgresUnavailable(exception)) {
      this.logger.warn(`${route}: Postgres unavailable: ${(exception as Error).message}`);
      return unavailable('the database (Postgres) is unavailable; try again shortly');
    }
    this.logger.error(
      `${route}: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`,
    );
    return { statusCode: 500, error: reasonPhrase(500), message: 'internal server error' };
  }
}

function unavailable(message: string): ApiErrorBody {
  return { statusCode: 503, error: reasonPhrase(503), message };
}

function fromHttpException(exception: HttpException): ApiErrorBody {
  const statusCode = exception.getStatus();
  const response = exception.getResponse();
  if (typeof response === 'string') return { statusCode, error: reasonPhrase(statusCode), message: response };
  const { message, error, ...details } = response as Record<string, unknown>;
  return {
    ...details,
    statusCode,
    error: typeof error === 'string' ? error : reasonPhrase(statusCode),
    message:
      typeof message === 'string' || Array.isArray(message)
        ? (message as ApiErrorBody['message'])
        : exception.message,
  };
}
