import 'reflect-metadata';

import { loadConfigOrExit } from '@brier/config';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { AppModule } from './app.module.js';
import { ApiConfig } from './config/api.config.js';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(ApiConfig);
  const app = await NestFactory.create(AppModule.register(config));
  // Close providers (database pools, Redis clients) on SIGTERM/SIGINT, then exit 0.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen(config.PORT, config.HOST);
  Logger.log(`API listening on ${await app.getUrl()}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  Logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error), 'Bootstrap');
  process.exit(1);
});
