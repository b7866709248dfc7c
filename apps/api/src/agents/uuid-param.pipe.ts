import { ParseUUIDPipe } from '@nestjs/common';

import { invalidRequest } from '../http/api-error.js';

/** A `{name}` path parameter that must be a UUID: 400 naming it otherwise. */
export function uuidParam(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () => invalidRequest([{ path: name, message: `${name} must be a UUID` }]),
  });
}
