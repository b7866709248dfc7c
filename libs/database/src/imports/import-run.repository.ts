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

  /**
   * The request of an import begun during its upload, as the whole request turned out (fields sent
   * after the file): its name, spec and step cap. False when the run is no longer a running import.
   */
  async amendRequest(
    runId: string,
    request: { name: string; spec: unknown; maxSteps: number | null },
  ): Promise<boolean> {
    if (!isUuid(runId)) return false;
    const rows = await this.dataSource.query<{ id: string }[]>(
      `WITH upd AS (
         UPDATE runs SET name = $2, spec = $3::jsonb, max_steps = $4
         WHERE id = $1 AND kind = 'import' AND status = 'running'
         RETURNING id
       )
       SELECT id FROM upd`,
      [runId, request.name, JSON.stringify(request.spec), request.maxSteps],
    );
    return rows.length > 0;
  }

  /**
   * Delete an import run begun during an upload whose request then failed before the import read
   * it (bad fields, no result file, a failed upload): nothing was stored for it, so no run remains.
   */
  async deleteUnread(runId: string): Promise<boolean> {
    if (!isUuid(runId)) return false;
    const rows = await this.dataSource.query<{ id: string }[]>(
      `WITH del AS (DELETE FROM runs WHERE id = $1 AND kind = 'import' AND status = 'running' RETURNING id)
       SELECT id FROM del`,
      [runId],
    );
    return rows.length > 0;
  }
}
