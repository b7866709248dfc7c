import type { RunStatus } from '../runs/run-status.js';

/**
 * Why the API answered 409 to an agent, in the body's `reason`. What the agent does:
 * - `stale-agent`: its incarnation is not the registered one (or the agent is unknown):
 *   re-register (a new incarnation), stop every run of the old one, hand unstarted jobs back.
 * - `agent-draining`: it reported itself draining: take no runs.
 * - `not-claimable`: the run is running elsewhere or finished (`status` says which), or a
 *   cancel was requested: drop the job (the API owns re-queueing).
 * - `placement`: the GPUs it offered do not fit the run (count, unknown index, a GPU already
 *   leased to another of its runs, missing labels): hand the job back, do not drop it.
 * - `lease-lost`: a fenced write found the lease gone (reaped, re-claimed, finished,
 *   cancelled): kill the run's process group and report nothing more about it.
 * - `attempt-mismatch`: a log batch named another attempt than the lease's: a bug; stop the run.
 */
export const LEASE_CONFLICT_REASONS = [
  'stale-agent',
  'agent-draining',
  'not-claimable',
  'placement',
  'lease-lost',
  'attempt-mismatch',
] as const;
export type LeaseConflictReason = (typeof LEASE_CONFLICT_REASONS)[number];

/** Body of a 409 from the agent-facing routes. */
export interface LeaseConflictBody {
  statusCode: 409;
  error: 'Conflict';
  message: string;
  reason: LeaseConflictReason;
  /** The run's status now, where a run is involved. */
  status?: RunStatus;
}
