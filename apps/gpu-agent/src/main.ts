import 'reflect-metadata';

import { resolve } from 'node:path';

import { loadConfigOrExit, maskUrlPassword } from '@brier/config';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { AgentModule } from './agent.module.js';
import { AgentConfig } from './config/agent.config.js';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(AgentConfig);
  // A standalone application context: no HTTP server, the agent only talks outward.
  const app = await NestFactory.createApplicationContext(AgentModule.register(config));
  // On SIGTERM/SIGINT run the shutdown hooks, then exit 0.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  const labels = config.AGENT_LABELS.length > 0 ? config.AGENT_LABELS.join(',') : 'none';
  Logger.log(
    `gpu-agent "${config.AGENT_NAME}" is up (labels: ${labels}; work dir: ${resolve(config.AGENT_WORK_DIR)}; ` +
      `API: ${maskUrlPassword(config.API_URL)}); waiting for SIGTERM or SIGINT`,
    'Bootstrap',
  );
}

bootstrap().catch((error: unknown) => {
  Logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error), 'Bootstrap');
  process.exit(1);
});
