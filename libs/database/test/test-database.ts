/**
 * A fresh Postgres database per test file: `CREATE DATABASE brier_test_<random>`, migrated, and
 * dropped afterwards. The server is shared with other work, so this never touches any database it
 * did not create. Reusable from other packages: `import { createTestDatabase } from '@brier/database/testing'`.
 *
 *   let db: TestDatabase;
 *   beforeAll(async () => { db = await createTestDatabase(); });
 *   afterAll(() => db.drop());
 */
import { randomBytes } from 'node:crypto';

import pg from 'pg';

import { runMigrations } from '../src/run-migrations.js';

/** Where CREATE/DROP DATABASE run; BRIER_TEST_ADMIN_DATABASE_URL overrides the local default. */
export const TEST_ADMIN_DATABASE_URL =
  process.env['BRIER_TEST_ADMIN_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const TEST_DATABASE_NAME = /^brier_test_[0-9a-f]{16}$/;

export interface TestDatabase {
  /** brier_test_<16 hex digits>. */
  name: string;
  /** Connection URL of the new database (the admin URL with its name swapped in). */
  url: string;
  /** Drop the database (terminating its connections). Safe to call twice. */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** Apply Brier's migrations (default true). */
  migrate?: boolean;
  adminUrl?: string;
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'brier-test-admin' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = options.adminUrl ?? TEST_ADMIN_DATABASE_URL;
  const name = `brier_test_${randomBytes(8).toString('hex')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const database: TestDatabase = {
    name,
    url: url.toString(),
    drop: () => dropTestDatabase(name, adminUrl),
  };
  if (options.migrate ?? true) {
    try {
      await runMigrations(database.url);
    } catch (error) {
      await database.drop();
      throw error;
    }
  }
  return database;
}

/** Drop a database this helper created; refuses any name that is not brier_test_<hex>. */
export async function dropTestDatabase(name: string, adminUrl = TEST_ADMIN_DATABASE_URL): Promise<void> {
  if (!TEST_DATABASE_NAME.test(name))
    throw new Error(`refusing to drop ${JSON.stringify(name)}: not a test database`);
  await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
