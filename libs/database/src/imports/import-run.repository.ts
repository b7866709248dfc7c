import type { DataSource } from 'typeorm';

import { isUuid } from '../uuid.js';

export interface ImportHeartbeat {
  /** A cancel of the run was requested (POST /v1/runs/{id}/cancel): stop the import. */
  cancelRequested: boolean;
}

/**
 * What an import run needs beyond RunRepository: it runs inside the API, not on an agent, so it
 * heartbeats itself (the reaper declares a running run lost after 3 heartbeat intervals of silence)
 * and learns about a cancel from the same statement.
 */
export class ImportRunRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Refresh the running run's heartbeat. Null when the run is no longer running (or gone). */
  async heartbeat(runId: string): Promise<ImportHeartbeat | null> {
    if (!isUuid(runId)) return null;
    const [row] = await this.dataSource.query<{ cancel_requested: boolean }[]>(
      `WITH upd AS (
         UPDATE runs SET heartbeat_at = now()
         WHERE id = $1 AND status = 'running'
         RETURNING cancel_requested_at IS NOT NULL AS cancel_requested
       )
       SELECT cancel_requested FROM upd`,
      [runId],
    );
    return row ? { cancelRequested: row.cancel_requested } : null;
  }
}
