import { ParseUUIDPipe } from '@nestjs/common';

import { invalidRequest } from '../http/api-error.js';

/** `{id}` of /v1/runs/{id}/…: a UUID, or a 400 naming the parameter. */
export const RUN_ID_PIPE = new ParseUUIDPipe({
  exceptionFactory: () => invalidRequest([{ path: 'id', message: 'id must be a UUID' }]),
});
