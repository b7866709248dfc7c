import { flattenValidationErrors, RUN_REQUEST_PIPE_OPTIONS } from '@brier/contracts';
import { ValidationPipe } from '@nestjs/common';

import { invalidRequest } from './api-error.js';

/**
 * The global pipe: every DTO-typed body, query and params object is checked the way a run request
 * is (unknown fields are errors, no implicit conversion, errors never echo values) and answered
 * with one `{path, message}` per problem.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    ...RUN_REQUEST_PIPE_OPTIONS,
    exceptionFactory: (errors) => invalidRequest(flattenValidationErrors(errors)),
  });
}
