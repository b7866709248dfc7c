import type { MigrationInterface, QueryRunner } from 'typeorm';

/** NOTIFY channel of run changes; payload: RunChangeNotification as JSON. */
export const RUN_CHANGE_CHANNEL = 'brier_run_changes';
/** NOTIFY channel of step aggregate changes; payload: StepChangeNotification as JSON. */
export const STEP_CHANGE_CHANNEL = 'brier_step_changes';

/** A runs row was inserted, deleted, or updated in more than its heartbeat. */
export interface RunChangeNotification {
  runId: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE';
}

/** A step's aggregates (step_aggregates, any attempt) were written: its metrics may have changed. */
export interface StepChangeNotification {
  runId: string;
  step: number;
}

/**
 * NOTIFY triggers for the live streams of the API (GET /v1/runs/live, /v1/runs/{id}/live), so that
 * they push changes instead of polling:
 * - runs: after an insert, a delete, or an update that changes more than heartbeat_at and
 *   updated_at (agents heartbeat every few seconds; a heartbeat that moves progress_step notifies);
 * - step_aggregates: after every written row, with its run and step. Row-level, but cheap: an
 *   ingest batch writes one row per step it holds, and Postgres sends identical payloads of one
 *   transaction once (a rebuild's delete + insert of a step is one notification).
 * Notifications are sent on commit, so a listener never reads uncommitted state.
 */
const UP = [
  `CREATE FUNCTION brier_notify_run_change() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       PERFORM pg_notify('${RUN_CHANGE_CHANNEL}', jsonb_build_object(
         'runId', CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, 'op', TG_OP)::text);
       RETURN NULL;
     END
   $$`,
  `CREATE TRIGGER runs_notify_insert_delete AFTER INSERT OR DELETE ON runs
     FOR EACH ROW EXECUTE FUNCTION brier_notify_run_change()`,
  `CREATE TRIGGER runs_notify_update AFTER UPDATE ON runs
     FOR EACH ROW
     WHEN ((to_jsonb(OLD) - 'heartbeat_at' - 'updated_at') IS DISTINCT FROM (to_jsonb(NEW) - 'heartbeat_at' - 'updated_at'))
     EXECUTE FUNCTION brier_notify_run_change()`,
  `CREATE FUNCTION brier_notify_step_change() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       PERFORM pg_notify('${STEP_CHANGE_CHANNEL}', jsonb_build_object('runId', NEW.run_id, 'step', NEW.step)::text);
       RETURN NULL;
     END
   $$`,
  `CREATE TRIGGER step_aggregates_notify AFTER INSERT OR UPDATE ON step_aggregates
     FOR EACH ROW EXECUTE FUNCTION brier_notify_step_change()`,
];

const DOWN = [
  `DROP TRIGGER step_aggregates_notify ON step_aggregates`,
  `DROP FUNCTION brier_notify_step_change()`,
  `DROP TRIGGER runs_notify_update ON runs`,
  `DROP TRIGGER runs_notify_insert_delete ON runs`,
  `DROP FUNCTION brier_notify_run_change()`,
];

export class LiveNotify1795663310000 implements MigrationInterface {
  name = 'LiveNotify1795663310000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of UP) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of DOWN) await queryRunner.query(statement);
  }
}
