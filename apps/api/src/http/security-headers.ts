import { BATCH_ID_HEADER, LEASE_TOKEN_HEADER } from '@brier/contracts';
import type { INestApplication } from '@nestjs/common';
import helmet from 'helmet';

import type { ApiConfig } from '../config/api.config.js';

/**
 * Secure headers (helmet) and CORS. The Content-Security-Policy fits what the API serves: the
 * admin panel (a Vite build from /admin: its own scripts, fetch and EventSource to this origin,
 * inline styles of the charts), bull-board (its scripts, inline styles, a Google font) and
 * Swagger UI at /docs; no inline script anywhere. HTTPS is the proxy's business: no
 * upgrade-insecure-requests, which would break a plain-HTTP local install.
 *
 * CORS is closed unless CORS_ORIGINS lists origins: other sites' pages get no
 * Access-Control-Allow-Origin, so a browser does not let them read answers.
 */
export function applySecurityHeaders(app: INestApplication, config: ApiConfig): void {
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'connect-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'style-src': ["'self'", 'https://fonts.googleapis.com', "'unsafe-inline'"],
          'font-src': ["'self'", 'https://fonts.gstatic.com', 'data:'],
          'frame-ancestors': ["'none'"],
          'upgrade-insecure-requests': null,
        },
      },
      frameguard: { action: 'deny' },
    }),
  );
  const origins = config.CORS_ORIGINS.split(',').filter((origin) => origin !== '');
  if (origins.length > 0) {
    app.enableCors({
      origin: origins,
      credentials: true,
      allowedHeaders: [
        'Authorization',
        'Content-Type',
        'Idempotency-Key',
        BATCH_ID_HEADER,
        LEASE_TOKEN_HEADER,
      ],
      maxAge: 600,
    });
  }
}
