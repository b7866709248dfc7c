import { createHash } from 'node:crypto';

import type { QueryRunner } from 'typeorm';

import { METRIC_VIEWS } from './metrics.sql.js';

const MARK = 'brier-view:';

function viewHash(sql: string): string {
  return createHash('sha256').update(sql).digest('hex').slice(0, 16);
}

/**
 * Bring the researcher-facing views (METRIC_VIEWS in metrics.sql.ts) up to date, like a repeatable
 * migration: a view whose text changed is dropped and created again, so the views always run the
 * same SQL as the repositories. Each view carries a hash of its text in its comment; when all match,
 * this does nothing. Returns the names of the views it (re)created.
 */
export async function ensureMetricViews(queryRunner: QueryRunner): Promise<string[]> {
  const existing = (await queryRunner.query(
    `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment
     FROM pg_class c
     WHERE c.relkind = 'v' AND c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1)`,
    [METRIC_VIEWS.map((v) => v.name)],
  )) as { name: string; comment: string | null }[];
  const current = new Map(existing.map((row) => [row.name, row.comment ?? '']));
  const stale = METRIC_VIEWS.filter((v) => !current.get(v.name)?.includes(`${MARK}${viewHash(v.sql)})`));
  if (stale.length === 0) return [];

  const readonlyRole =
    ((await queryRunner.query(`SELECT 1 FROM pg_roles WHERE rolname = 'brier_readonly'`)) as unknown[])
      .length > 0;
  // Views do not depend on each other, so each is replaced on its own. No CASCADE: a view someone
  // built on top of ours makes this fail loudly instead of vanishing.
  for (const view of stale) {
    await queryRunner.query(`DROP VIEW IF EXISTS ${view.name}`);
    await queryRunner.query(`CREATE VIEW ${view.name} AS ${view.sql}`);
    const comment = `${view.comment} (${MARK}${viewHash(view.sql)})`;
    await queryRunner.query(`COMMENT ON VIEW ${view.name} IS '${comment.replaceAll("'", "''")}'`);
    if (readonlyRole) await queryRunner.query(`GRANT SELECT ON ${view.name} TO brier_readonly`);
  }
  return stale.map((v) => v.name);
}
