import { stat } from 'node:fs/promises';

import { Injectable } from '@nestjs/common';
import { execa } from 'execa';

import { AgentConfig } from '../config/agent.config.js';
import { primeRlCheckout } from '../runs/attempt-services.js';

const UV_CHECK_TIMEOUT_MS = 10_000;

/**
 * Whether this host can start prime-rl at all: a checkout at PRIME_RL_DIR and a UV_BIN that runs.
 * Checked once at boot. A host without them (a plain container, a setup not run yet) takes only
 * runs that need no GPU, instead of claiming GPU runs and failing each one at its launch.
 */
@Injectable()
export class PrimeRlInstallation {
  private missing: string | null = null;

  constructor(private readonly config: AgentConfig) {}

  /** Why prime-rl cannot run here, or null when it can (as of the last check). */
  get problem(): string | null {
    return this.missing;
  }

  async check(): Promise<string | null> {
    const problems: string[] = [];
    const checkout = primeRlCheckout(this.config);
    const isDirectory = await stat(checkout).then(
      (info) => info.isDirectory(),
      () => false,
    );
    if (!isDirectory) problems.push(`no prime-rl checkout at ${checkout} (PRIME_RL_DIR)`);
    const uv = await execa(this.config.UV_BIN, ['--version'], {
      reject: false,
      stdin: 'ignore',
      timeout: UV_CHECK_TIMEOUT_MS,
    });
    if (uv.failed) problems.push(`\`${this.config.UV_BIN} --version\` failed (${uv.shortMessage})`);
    this.missing = problems.length > 0 ? `${problems.join('; ')}; \`brier-agent setup\` installs both` : null;
    return this.missing;
  }
}
