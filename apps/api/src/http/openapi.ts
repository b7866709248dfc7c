import { SESSION_COOKIE } from '@brier/contracts';
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
        'for a bad request lists every problem as `message: [{path, message}]`. Every route but GET ' +
        "/health needs a token (bearer, or the panel's session cookie); `x-brier-roles` names the roles " +
        'that may call it (docs/security.md).',
    )
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'An API token (brier_…): `brier tokens create`, or POST /v1/tokens as an admin.',
    })
    .addCookieAuth(SESSION_COOKIE, { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE })
    .build();
  let document: OpenApiDocument | undefined;
  SwaggerModule.setup(
    OPENAPI_UI_PATH,
    app,
    () => (document ??= withUniqueSecurity(SwaggerModule.createDocument(app, config))),
    {
      jsonDocumentUrl: OPENAPI_JSON_PATH,
      raw: ['json'],
      customSiteTitle: 'Brier API',
    },
  );
}

type OpenApiDocument = ReturnType<typeof SwaggerModule.createDocument>;

/**
 * A route whose method overrides its controller's @Roles gets the security schemes of both
 * decorators: list each scheme once.
 */
function withUniqueSecurity(document: OpenApiDocument): OpenApiDocument {
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item as Record<string, { security?: object[] }>)) {
      if (!Array.isArray(operation?.security)) continue;
      const seen = new Set<string>();
      operation.security = operation.security.filter((requirement) => {
        const key = JSON.stringify(requirement);
        return !seen.has(key) && Boolean(seen.add(key));
      });
    }
  }
  return document;
}
