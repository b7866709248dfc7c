import { VersioningType, type INestApplication } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

import type { ApiConfig } from './config/api.config.js';
import { ApiExceptionFilter } from './http/api-exception.filter.js';
import { ConnectionDrain } from './http/connection-drain.js';
import { createFormBodyBlocker, createJsonBodyMiddleware } from './http/json-body.middleware.js';
import { setupOpenApi } from './http/openapi.js';
import { applySecurityHeaders } from './http/security-headers.js';
import { createValidationPipe } from './http/validation-pipe.js';

/**
 * Process-wide HTTP setup shared by main.ts and the tests, so tests exercise exactly what
 * production serves:
 * - versioned routes: a controller declared `@Controller({ path: 'runs', version: '1' })` answers
 *   at /v1/runs; unversioned ones (GET /health) stay where they are;
 * - request bodies: JSON only on JSON routes (415 otherwise), 1 MiB by default, larger on the
 *   ingestion routes (http/body-limits.ts), 413 past the limit, 400 for malformed JSON;
 * - validation: a global ValidationPipe with the run request's rules (unknown fields are errors);
 * - errors: one body shape, 503 + Retry-After when Postgres or Redis is unavailable, no stacks;
 * - access: a token on every route but GET /health (auth/, docs/security.md), secure headers
 *   (helmet) and CORS closed unless CORS_ORIGINS lists origins;
 * - OpenAPI at /docs (UI) and /docs/json;
 * - shutdown: hooks, and connections closed after their answer once it begins (http/connection-drain.ts).
 */
export function configureApp(
  app: INestApplication,
  config: ApiConfig,
  options: { exitOnShutdown?: boolean } = {},
): void {
  app.enableVersioning({ type: VersioningType.URI });
  app.use(app.get(ConnectionDrain).middleware);
  applySecurityHeaders(app, config);
  // Registered before Nest's own body parsers, which see these names and stand aside.
  app.use(createJsonBodyMiddleware());
  app.use(createFormBodyBlocker());
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ApiExceptionFilter(app.get(HttpAdapterHost)));
  setupOpenApi(app);
  // Close providers (database pools, Redis clients) on SIGTERM/SIGINT; the server process then
  // exits 0, a test's app just closes.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: options.exitOnShutdown ?? false });
}
