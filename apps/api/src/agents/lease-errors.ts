import type { LeaseConflictBody } from '@brier/contracts';
import type { LeaseRefusal } from '@brier/database';
import type { HttpException } from '@nestjs/common';

import { apiError } from '../http/api-error.js';

/** 404 for a run that does not exist; 409 with a LeaseConflictBody (reason, status) otherwise. */
export function leaseRefusalError(runId: string, refusal: LeaseRefusal): HttpException {
  if (refusal.reason === 'unknown-run') return apiError(404, `run ${runId} not found`);
  const details: Omit<LeaseConflictBody, 'statusCode' | 'error' | 'message'> & { runId: string } = {
    runId,
    reason: refusal.reason,
    ...(refusal.status === undefined ? {} : { status: refusal.status }),
  };
  return apiError(409, refusal.message, details);
}

/** 409 stale-agent: unknown agent id or not its current incarnation. */
export function staleAgentError(agentId: string): HttpException {
  const details: Pick<LeaseConflictBody, 'reason'> & { agentId: string } = { agentId, reason: 'stale-agent' };
  return apiError(409, 'unknown agent or stale incarnation: register again', details);
}
