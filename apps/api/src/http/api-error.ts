import { STATUS_CODES } from 'node:http';

import { BadRequestException, HttpException } from '@nestjs/common';

/** One problem with a request: a dotted path (`spec.batchSize`, `preset`, `''` for the whole body). */
export interface FieldMessage {
  path: string;
  message: string;
}

/**
 * Every error the API answers: Nest's shape, with `message` a list of field problems for a 400 of
 * a bad request and a sentence otherwise; some errors add details (a 409 the run's current
 * status, a 503 after a committed submit the run). Never a stack trace.
 */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string | FieldMessage[];
  [detail: string]: unknown;
}

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/** An error answer with the API's body shape. */
export function apiError(
  status: number,
  message: string,
  details: Record<string, unknown> = {},
): HttpException {
  const body: ApiErrorBody = { statusCode: status, error: reasonPhrase(status), message, ...details };
  return new HttpException(body, status);
}

/** 400 listing every problem of a request. */
export function invalidRequest(errors: readonly FieldMessage[]): BadRequestException {
  const body: ApiErrorBody = { statusCode: 400, error: reasonPhrase(400), message: [...errors] };
  return new BadRequestException(body);
}
