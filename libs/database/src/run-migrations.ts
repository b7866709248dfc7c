import { createDataSource, type DatabaseOptions } from './data-source.js';
import { ensureMetricViews } from './metrics/metric-views.js';

export interface MigrationReport {
  /** Names of the migrations this call applied, oldest first (empty when the schema was current). */
  applied: string[];
  /** Views (re)created because their SQL changed (empty when they were current). */
  views: string[];
}

/** Key of the session advisory lock that serialises concurrent migrators (e.g. API replicas booting). */
const MIGRATION_LOCK_KEY = 0x62726965; // 'brie'

/**
 * Apply pending migrations (each in its own transaction), then bring the metric views up to date.
 * Safe to call from several processes at once, and a no-op when everything is current.
 */
export async function runMigrations(url: string, options: DatabaseOptions = {}): Promise<MigrationReport> {
  const dataSource = createDataSource(url, { applicationName: 'brier-migrate', ...options, poolSize: 3 });
  await dataSource.initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const migrations = await dataSource.runMigrations({ transaction: 'each' });
      const views = await dataSource.transaction((manager) => ensureMetricViews(manager.queryRunner!));
      return { applied: migrations.map((m) => m.name), views };
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await lock.release();
    await dataSource.destroy();
  }
}
