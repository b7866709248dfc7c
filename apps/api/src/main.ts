import 'reflect-metadata';

import { loadConfigOrExit } from '@brier/config';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { AppModule } from './app.module.js';
import { ApiConfig } from './config/api.config.js';
import { configureApp } from './configure-app.js';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(ApiConfig);
  const app = await NestFactory.create(AppModule.register(config));
  configureApp(app, config, { exitOnShutdown: true });
  await app.listen(config.PORT, config.HOST);
  Logger.log(`API listening on ${await app.getUrl()}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  Logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error), 'Bootstrap');
  process.exit(1);
});
