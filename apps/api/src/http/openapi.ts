import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Where the OpenAPI document is served: the UI at /docs, the JSON at /docs/json. */
export const OPENAPI_UI_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs/json';

/**
 * The OpenAPI document of every controller, built on the first request for it (not at boot), and
 * Swagger UI. Controllers describe themselves with @nestjs/swagger decorators; the run spec DTOs
 * of @brier/contracts carry their own.
 */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Brier API')
    .setDescription(
      'Calibration-RL runs on a fleet of GPU hosts: submit and follow runs, ingest and query scored ' +
        'rollouts, calibration metrics from SQL. Errors are `{statusCode, error, message}`; a 400 ' +
        'for a bad request lists every problem as `message: [{path, message}]`.',
    )
    .setVersion('1')
    .build();
  let document: ReturnType<typeof SwaggerModule.createDocument> | undefined;
  SwaggerModule.setup(OPENAPI_UI_PATH, app, () => (document ??= SwaggerModule.createDocument(app, config)), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'Brier API',
  });
}
