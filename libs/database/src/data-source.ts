import { DataSource, type DataSourceOptions } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';

import { DATABASE_ENTITIES } from './entities/index.js';
import { DATABASE_MIGRATIONS } from './migrations/index.js';

/** Options a caller may set; entities, migrations and `synchronize: false` are always Brier's. */
export type DatabaseOptions = Omit<
  PostgresDataSourceOptions,
  | 'type'
  | 'url'
  | 'entities'
  | 'migrations'
  | 'synchronize'
  | 'migrationsRun'
  | 'migrationsTableName'
  | 'installExtensions'
>;

export const MIGRATIONS_TABLE = 'typeorm_migrations';

/**
 * The TypeORM options for Brier's database (also what @nestjs/typeorm's forRoot wants). The schema
 * only ever changes through migrations (runMigrations): synchronize and migrationsRun are forced off.
 */
export function dataSourceOptions(url: string, options: DatabaseOptions = {}): DataSourceOptions {
  return {
    applicationName: 'brier',
    ...options,
    type: 'postgres',
    url,
    entities: DATABASE_ENTITIES,
    migrations: DATABASE_MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    migrationsRun: false,
    synchronize: false,
    // gen_random_uuid() is core Postgres; TypeORM would otherwise CREATE EXTENSION "uuid-ossp" on connect.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
  };
}

/** A DataSource for Brier's database, not yet initialized. */
export function createDataSource(url: string, options: DatabaseOptions = {}): DataSource {
  return new DataSource(dataSourceOptions(url, options));
}
