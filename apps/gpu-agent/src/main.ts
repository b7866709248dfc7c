import 'reflect-metadata';

import { resolve } from 'node:path';

import { loadConfigOrExit, maskUrlPassword } from '@brier/config';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Command } from 'commander';

import { AgentModule } from './agent.module.js';
import { setupCommand } from './cli/setup-command.js';
import { AgentConfig } from './config/agent.config.js';
import { AGENT_VERSION } from './session/agent-version.js';

/** The daemon: configuration from the environment, validated before anything starts. */
async function runDaemon(): Promise<void> {
  const config = loadConfigOrExit(AgentConfig);
  // A standalone application context: no HTTP server, the agent only talks outward.
  const app = await NestFactory.createApplicationContext(AgentModule.register(config));
  // On SIGTERM/SIGINT run the shutdown hooks (stop runs, report them), then exit: 0, or the
  // exit code they set (1: runs left unreported). Nest's own signal handling always exits 0.
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      // A repeat (a terminal's Ctrl-C and a supervisor both signalling) must not cut the shutdown short.
      if (stopping) return;
      stopping = true;
      Logger.log(`${signal}: shutting down`, 'Bootstrap');
      app.close().then(
        () => process.exit(),
        (error: unknown) => {
          Logger.error(
            `shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
            'Bootstrap',
          );
          process.exit(1);
        },
      );
    });
  }
  const labels = config.AGENT_LABELS.length > 0 ? config.AGENT_LABELS.join(',') : 'none';
  Logger.log(
    `gpu-agent "${config.AGENT_NAME}" is up (labels: ${labels}; work dir: ${resolve(config.AGENT_WORK_DIR)}; ` +
      `API: ${maskUrlPassword(config.API_URL)}); waiting for SIGTERM or SIGINT`,
    'Bootstrap',
  );
}

const program = new Command('brier-agent')
  .description('the Brier GPU agent: pulls runs that fit this host, runs prime-rl, ships every rollout')
  .version(AGENT_VERSION)
  .action(runDaemon)
  .addCommand(setupCommand());

program.parseAsync().catch((error: unknown) => {
  Logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error), 'Bootstrap');
  process.exit(1);
});
