import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import { AgentConfig } from '../config/agent.config.js';

export const LIVENESS_FILE = 'agent.alive';
const INTERVAL_MS = 10_000;

/**
 * Keeps the agent process alive and proves it: every 10 s it rewrites `<work dir>/agent.alive`,
 * which the container healthcheck reads (a blocked event loop shows up as a stale file).
 */
@Injectable()
export class LivenessService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LivenessService.name);
  private readonly file: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(config: AgentConfig) {
    this.file = join(resolve(config.AGENT_WORK_DIR), LIVENESS_FILE);
  }

  async onApplicationBootstrap(): Promise<void> {
    await mkdir(resolve(this.file, '..'), { recursive: true });
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch((error: unknown) =>
        this.logger.warn(
          `cannot write ${this.file}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }, INTERVAL_MS);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async beat(): Promise<void> {
    await writeFile(this.file, `${new Date().toISOString()}\n`);
  }
}
