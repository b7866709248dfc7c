/**
 * A run's lifecycle. Stored in Postgres: never rename a value without a migration.
 * queued → running → succeeded | failed | cancelled; running → lost (agent stopped heartbeating)
 * → queued again by the reaper; failed/cancelled → queued by an explicit retry.
 */
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'lost'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

/** Statuses an agent may claim a run from (lost runs are claimable once re-queued or directly). */
export const CLAIMABLE_RUN_STATUSES: readonly RunStatus[] = ['queued', 'lost'];

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}
