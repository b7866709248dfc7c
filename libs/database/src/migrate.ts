#!/usr/bin/env node
// `node dist/migrate.js`: apply pending migrations to $DATABASE_URL and say what changed.
import { runMigrations } from './run-migrations.js';

const url = process.env['DATABASE_URL'];
if (!url) {
  console.error('migrate: DATABASE_URL is not set');
  process.exit(2);
}

try {
  const report = await runMigrations(url);
  if (report.applied.length === 0) console.log('migrate: schema is up to date, no migration applied');
  for (const name of report.applied) console.log(`migrate: applied ${name}`);
  for (const name of report.views) console.log(`migrate: (re)created view ${name}`);
} catch (error) {
  console.error(`migrate: failed: ${(error as Error).message}`);
  process.exit(1);
}
