import type { RunEntity } from '@brier/database';
import type { HttpException } from '@nestjs/common';

import { apiError } from '../http/api-error.js';

export function runNotFound(id: string): HttpException {
  return apiError(404, `run ${id} not found`);
}

/** 409: the run is not in a status that allows this; the body names the status it is in. */
export function runConflict(run: Pick<RunEntity, 'id' | 'status'>, message: string): HttpException {
  return apiError(409, message, { runId: run.id, status: run.status });
}
